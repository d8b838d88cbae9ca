// Package awssecrets adapts the AWS SDK clients of Secrets Manager and
// Parameter Store to secrets.Fetcher, for the secretsmanager: and ssm:
// references of package secrets (its Secrets Manager half is package
// awssm, which a program reading only Secrets Manager imports alone, so
// that it does not link the SSM client).
//
// It is a package of its own so that programs that only redact (the gate,
// the hook) do not link the two SDK clients: a Go binary keeps every
// linked package's initialisation, and these two add about a megabyte to a
// Lambda bootstrap.
package awssecrets
