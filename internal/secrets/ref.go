package secrets

import (
	"errors"
	"fmt"
	"strings"
)

// Scheme says where a reference's value comes from.
type Scheme string

// The schemes of a reference.
const (
	// Literal is a string without a known scheme: it is the value itself.
	Literal Scheme = ""
	// SecretsManager reads a Secrets Manager secret's SecretString.
	SecretsManager Scheme = "secretsmanager"
	// SSM reads a Parameter Store parameter, decrypted.
	SSM Scheme = "ssm"
	// Env reads an environment variable.
	Env Scheme = "env"
)

// Ref is a parsed secret reference.
type Ref struct {
	// Scheme is where the value comes from.
	Scheme Scheme
	// Name is the secret ID (name or ARN), the parameter name or ARN, or
	// the variable name; for a Literal, the value itself.
	Name string
	// Key is the JSON object member to extract ("" for the whole value).
	Key string
}

// String is the reference as written, or "(literal)" for a Literal, whose
// text is the secret itself.
func (r Ref) String() string {
	switch {
	case r.Scheme == Literal:
		return "(literal)"
	case r.Key != "":
		return string(r.Scheme) + ":" + r.Name + "#" + r.Key
	default:
		return string(r.Scheme) + ":" + r.Name
	}
}

// Parse parses a reference, checking its form but fetching nothing.
// Errors name the reference, never a literal's text.
func Parse(ref string) (Ref, error) {
	if ref == "" {
		return Ref{}, errors.New("empty secret reference")
	}
	scheme, rest, found := strings.Cut(ref, ":")
	switch Scheme(scheme) {
	case SecretsManager, SSM, Env:
	default:
		found = false
	}
	if !found {
		return Ref{Scheme: Literal, Name: ref}, nil
	}
	r := Ref{Scheme: Scheme(scheme), Name: rest}
	if r.Scheme != Env {
		var hasKey bool
		r.Name, r.Key, hasKey = strings.Cut(rest, "#")
		if hasKey && r.Key == "" {
			return Ref{}, fmt.Errorf("secret reference %q: empty key after '#'", ref)
		}
	}
	if r.Name == "" {
		return Ref{}, fmt.Errorf("secret reference %q: no %s", ref, r.Scheme.what())
	}
	if r.Scheme == Env && strings.ContainsAny(r.Name, "=\x00") {
		return Ref{}, fmt.Errorf("secret reference %q: invalid environment variable name", ref)
	}
	return r, nil
}

// what names what a reference of the scheme points at.
func (s Scheme) what() string {
	switch s {
	case SecretsManager:
		return "secret name or ARN"
	case SSM:
		return "parameter name"
	case Env:
		return "environment variable name"
	}
	return "value"
}
