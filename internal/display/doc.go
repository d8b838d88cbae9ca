// Package display shortens text for people: Cut keeps a message's start
// and end and drops its middle, so a message that leads with its cause (or
// ends with a wrapped error's cause) keeps it whatever the bound. flow.Cut
// is the same cut measured in JSON-encoded bytes, for payloads; this one
// counts runes, for lines on a screen, in a summary or in a report.
package display
