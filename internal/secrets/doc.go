// Package secrets resolves secret references to their values and keeps
// those values out of text: the sink's token in the cloud, and the secrets
// of test resources in the cloud and on a laptop.
//
// A reference is a string:
//
//	secretsmanager:ARN-or-name[#key]   Secrets Manager GetSecretValue (SecretString)
//	ssm:/parameter/name[#key]          Parameter Store GetParameter, WithDecryption
//	env:VAR                            an environment variable (through a getenv func)
//	anything else                      a literal: the string is the value
//
// With #key, the fetched value must be a JSON object and the value is its
// member key (a string; a number or boolean gives its JSON text). Secret
// names, parameter names and ARNs contain no '#', so the first one starts
// the key. Parse checks a reference's form up front, without fetching it.
//
// The two services are reached through Fetchers (WithSecretsManager,
// WithParameterStore); package awssecrets adapts the SDK clients, apart
// from this package so that programs that only redact do not link them.
//
// A Resolver fetches each Secrets Manager secret and each parameter once
// per TTL (default DefaultTTL) and keeps the value in memory for the life
// of the process, a Lambda container in the cloud; references differing
// only in #key share one fetch. It is safe for concurrent use, and
// concurrent resolutions of one uncached secret share one call. Failures
// are not cached. Environment variables and literals are read on every
// call. Resolve never returns an empty value: an empty or unset secret is
// an error.
//
// Errors (*Error) name the reference, never a value, and wrap ErrNotFound
// when the secret, parameter, variable or key does not exist.
//
// Every value a Resolver returns is added to its Redactor, which replaces
// registered values in strings and byte slices with "[REDACTED]" before
// they reach logs, results, evidence or JUnit. A Redactor ignores values
// shorter than MinRedactLen (4) characters: replacing every "a" or "42" in
// a text would destroy it while hiding nothing worth hiding, so secrets
// must be longer than that. It also replaces each value's JSON-escaped
// forms (with and without HTML escaping, once and twice), so a value with
// quotes, backslashes or <&> is caught inside JSON and inside a JSON
// document kept as a JSON string. It matches exact text only: a value
// split across separate writes, or encoded otherwise (URL or base64
// encoding, say), is not caught.
//
// NewHandler (and NewLogger) wrap a slog.Handler so that whole records are
// redacted when written: the message, every attribute (inside groups, and
// those added with With, which are redacted at write time, so a value
// registered later is still caught), errors, Stringers and LogValuers.
package secrets
