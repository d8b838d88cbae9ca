// Package handler is the sink Lambda: a function URL that receives the
// notifications (webhooks) the system under test sends during journeys and
// stores them for run-scoped lookup, so the SDK's sink await works in the
// cloud exactly as against the in-process sink locally.
//
// Every request but GET /healthz is authenticated: by the environment's
// secret token ("Authorization: Bearer <token>" or the X-Journeygate-Token
// header; on /sms also as the password of Basic credentials, which SMS
// providers send from the webhook URL's user info; compared in constant
// time) or by an HMAC-SHA256 signature of the
// body ("X-Journeygate-Signature: sha256=<hex>"). A request without
// credentials is answered 401, one with wrong credentials 403; neither is
// stored. Bodies over Config.MaxBody are answered 413.
//
// A delivery is attributed to a run exactly as the in-process sink does it
// (sink.Attribute: the path /run/{runID}, the X-Journeygate-Run header,
// then the configured JSON Pointers); an unattributed one is answered 202
// and not stored. Stored deliveries keep their headers without credentials
// (sink.StoredHeader) and are keyed by the function URL's request ID; the
// store's delivery TTL expires them. A store failure is answered 503 so
// the sender retries.
//
// Texts SMS providers post to /sms or /sms/{provider} (a form, as Twilio
// and Vonage send them, or JSON) are attributed by their receiving number
// instead: stored under journey.SMSKey ("sms/+15551234567") with a
// normalised body (sink.ParseSMS), where the journey that leased the
// number reads them (journey.T.SMS). A text without a receiving number or
// with a malformed body is answered 400 and not stored (sms.go).
//
// With an inbox domain, the same function is invoked by SES's receipt
// rule (Function tells the two event shapes apart): an Inbox reads each
// message from the bucket where the rule's S3 action stored it and stores
// it once per inbox recipient under its inbox key (journey.InboxKey),
// where the journey's T.Inbox reads it; the SES message ID and receipt
// time make a redelivered event store nothing new (ses.go).
package handler
