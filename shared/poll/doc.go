// Package poll is the project's one polling helper: it re-checks a condition
// with a short first interval and exponential backoff, respects the
// context's deadline, and reports the last observation when time runs out.
//
// A condition's error is one of three things:
//
//   - not yet: any error; polling goes on and the error is kept as the last
//     observation;
//   - final: an error whose chain says so (IsFinal: Stop, or a type with a
//     Final method, such as a journey's failed assertion); polling ends at
//     once with it, since a wrong answer never becomes right;
//   - a fault, when the caller says which errors are (OnFault): polling
//     backs off (100 ms doubling to 2 s by default) and ends with a
//     *FaultError after MaxFaults of them in a row (5 by default), so an
//     unreachable target is neither hammered nor waited on until the
//     deadline.
package poll
