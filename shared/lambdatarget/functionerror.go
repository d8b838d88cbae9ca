package lambdatarget

import (
	"encoding/json"
	"fmt"
	"strings"
)

// maxErrorMessage bounds the function's error message a failure quotes.
const maxErrorMessage = 512

// functionError describes a function error: "function orders:7 (version
// 7) failed: Unhandled errorString: orders table not found". The payload
// is Lambda's error payload ({"errorMessage","errorType"}); anything else
// is quoted as it is.
func functionError(name, ran, kind string, payload []byte) string {
	var p struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	msg := ""
	if json.Unmarshal(payload, &p) == nil && (p.ErrorMessage != "" || p.ErrorType != "") {
		msg = strings.TrimSpace(p.ErrorType + ": " + p.ErrorMessage)
		msg = strings.TrimSuffix(strings.TrimPrefix(msg, ": "), ":")
	} else {
		msg = strings.TrimSpace(string(payload))
	}
	if len(msg) > maxErrorMessage {
		msg = strings.ToValidUTF8(msg[:maxErrorMessage], "") + "…"
	}
	where := "function " + name
	if ran != "" && !strings.HasSuffix(name, ":"+ran) {
		where += " (version " + ran + ")"
	}
	return fmt.Sprintf("%s failed (%s function error): %s", where, kind, msg)
}
