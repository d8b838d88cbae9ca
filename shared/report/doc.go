// Package report presents a journeygate run to people and machines: a plain
// text summary for the terminal, live or line-by-line progress while journeys
// run, indented JSON, and JUnit XML for CI test reporters.
//
// Every format shows the latest attempt of each journey (see
// gate.LatestAttempts) and takes whether a journey blocks from the run's
// verdict, so the report never disagrees with the gate.
package report
