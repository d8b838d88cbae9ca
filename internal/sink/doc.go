// Package sink is the in-process notification sink `journeygate run` starts
// locally: the system under test POSTs notifications (webhooks) to it, and
// journeys await them through journey.SinkReader.
//
// A delivery is attributed to a run by, in order: the path /run/{runID}, the
// X-Journeygate-Run header, or the first Config.Correlate JSON Pointer that
// finds a string in the body. Unattributed deliveries are counted and
// answered 202, never stored. Credentials (Authorization, the token header,
// cookies) are never stored. Readers block in Next and are woken the moment
// a delivery for their run arrives.
package sink
