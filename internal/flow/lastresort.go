package flow

// LastResortKey is the top-level key of the payload the state machine's
// last-resort Task (StateLastResort) sends the hook when Decide failed:
// {"lastResort": LastResortRequest}.
const LastResortKey = "lastResort"

// LastResortRequest asks the hook to report Failed for a run whose gate
// could not (it crashed, timed out, or could not report).
type LastResortRequest struct {
	Input Input `json:"input"`
	// Error is what the Catch on Decide recorded.
	Error *TaskError `json:"error,omitempty"`
}
