// Package poll is the project's one polling helper: it re-checks a condition
// with a short first interval and exponential backoff, respects the
// context's deadline, and reports the last observation when time runs out.
package poll
