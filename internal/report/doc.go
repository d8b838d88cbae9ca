// Package report presents a journeygate run to people and machines: a plain
// text summary for the terminal, live or line-by-line progress while journeys
// run, indented JSON, JUnit XML for CI test reporters, and a self-contained
// HTML page (WriteHTML: verdict and why, step waterfalls against the SLAs,
// evidence, and each journey's recent history read with LoadHistory).
//
// Every format shows the latest attempt of each journey (see
// gate.LatestAttempts) and takes whether a journey blocks from the run's
// verdict, so the report never disagrees with the gate.
package report
