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
//
// Texts SMS providers post to /sms or /sms/{provider} (form-encoded, as
// Twilio and Vonage send them, or JSON) are attributed by their receiving
// number, normalised to E.164 (journey.NormalizeNumber), and stored under
// "sms/+15551234567" (journey.SMSKey), where the journey that leased the
// number reads them (journey.T.SMS); one without a receiving number or
// with a malformed body is answered 400 and not stored (ParseSMS). Since
// providers send credentials from the webhook URL's user info, /sms also
// accepts the token as a Basic password, and challenges for Basic.
package sink
