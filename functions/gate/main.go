// Command gate is the gate Lambda: it decides, records and reports a
// run's verdict (package lambda/gate, which documents its environment).
package main

import "github.com/journeygate/journeygate/lambda/gate"

func main() { gate.Start() }
