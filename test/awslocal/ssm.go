package awslocal

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SSMTarget is the X-Amz-Target prefix of the SSM (Parameter Store) API.
const SSMTarget = "AmazonSSM."

// Parameter types, as Parameter Store names them.
const (
	ParameterString       = "String"
	ParameterStringList   = "StringList"
	ParameterSecureString = "SecureString"
)

// Parameter is what PutParameter stores for one Parameter Store
// parameter.
type Parameter struct {
	Value string
	// Type is ParameterSecureString (the default), ParameterString or
	// ParameterStringList.
	Type string
}

type storedParameter struct {
	Parameter
	version  int64
	modified time.Time
}

// SSM is a local SSM endpoint serving Parameter Store's GetParameter from
// an in-memory map. A parameter is found by its name or its ARN, optionally
// followed by ":VERSION"; an unknown name answers ParameterNotFound, an
// unknown version or a label ParameterVersionNotFound. A SecureString
// parameter read without WithDecryption answers an opaque ciphertext
// instead of its value, as Parameter Store does.
type SSM struct {
	*endpoint
	pmu    sync.Mutex
	params map[string]*storedParameter // by name
}

// StartSSM starts the endpoint on a free loopback port, stopped when t
// ends.
func StartSSM(t testing.TB) *SSM {
	t.Helper()
	s := &SSM{params: map[string]*storedParameter{}}
	s.endpoint = startEndpoint(t, SSMTarget, map[string]operation{
		"GetParameter": s.getParameter,
	})
	return s
}

// URL is the endpoint's base URL.
func (s *SSM) URL() string { return s.srv.URL }

// Config is an aws.Config pointing at the endpoint with dummy credentials.
func (s *SSM) Config() aws.Config { return s.awsConfig() }

// Client returns a real SSM client pointed at the endpoint.
func (s *SSM) Client(optFns ...func(*ssm.Options)) *ssm.Client {
	return ssm.NewFromConfig(s.awsConfig(), optFns...)
}

// Requests lists every call received, including rejected ones.
func (s *SSM) Requests() []Request { return s.log() }

// ThrottleNext makes the next n calls answer ThrottlingException.
func (s *SSM) ThrottleNext(n int) { s.failNext(n, "ThrottlingException", "Rate exceeded") }

// FailNext answers the next n calls with the given error code.
func (s *SSM) FailNext(n int, code, message string) { s.failNext(n, code, message) }

// PutParameter stores p as the next version of parameter name (a path
// such as "/journeygate/staging/api-key" or a plain name) and returns the
// parameter's ARN.
func (s *SSM) PutParameter(name string, p Parameter) string {
	if p.Type == "" {
		p.Type = ParameterSecureString
	}
	s.pmu.Lock()
	defer s.pmu.Unlock()
	prev := s.params[name]
	sp := &storedParameter{Parameter: p, version: 1, modified: time.Now().UTC()}
	if prev != nil {
		sp.version = prev.version + 1
	}
	s.params[name] = sp
	return parameterARN(name)
}

// parameterARN is a parameter's ARN: "parameter" joined to the name with
// exactly one slash.
func parameterARN(name string) string {
	return "arn:aws:ssm:" + Region + ":" + AccountID + ":parameter/" + strings.TrimPrefix(name, "/")
}

// parameterName turns an ARN back into a name (with a leading slash when
// the name is a path; a plain name has none).
func (s *SSM) parameterName(id string) string {
	prefix := "arn:aws:ssm:" + Region + ":" + AccountID + ":parameter/"
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok {
		return id
	}
	if _, plain := s.params[rest]; plain {
		return rest
	}
	return "/" + rest
}

func (s *SSM) getParameter(body json.RawMessage) (any, *apiError) {
	var in struct {
		Name           string `json:"Name"`
		WithDecryption bool   `json:"WithDecryption"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	s.pmu.Lock()
	defer s.pmu.Unlock()
	// Parameter names never contain a colon: after an ARN's
	// ":parameter/", one starts a version or label selector.
	base, selector := in.Name, ""
	skip := 0
	if strings.HasPrefix(in.Name, "arn:") {
		if i := strings.Index(in.Name, ":parameter/"); i >= 0 {
			skip = i + len(":parameter/")
		}
	}
	if j := strings.IndexByte(in.Name[skip:], ':'); j >= 0 {
		base, selector = in.Name[:skip+j], in.Name[skip+j:]
	}
	name := s.parameterName(base)
	p, ok := s.params[name]
	if !ok {
		return nil, newError("ParameterNotFound", "")
	}
	if selector != "" {
		v, err := strconv.ParseInt(selector[1:], 10, 64)
		if err != nil || v != p.version {
			return nil, newError("ParameterVersionNotFound", "Systems Manager could not find version "+selector[1:]+" of "+name+". Verify the version and try again.")
		}
	}
	value := p.Value
	if p.Type == ParameterSecureString && !in.WithDecryption {
		sum := sha256.Sum256([]byte(name + "\x00" + p.Value))
		value = "AQICAH" + base64.StdEncoding.EncodeToString(sum[:])
	}
	out := map[string]any{
		"Name":             name,
		"Type":             p.Type,
		"Value":            value,
		"Version":          p.version,
		"LastModifiedDate": float64(p.modified.UnixMilli()) / 1000,
		"ARN":              parameterARN(name),
		"DataType":         "text",
	}
	if selector != "" {
		out["Selector"] = selector
	}
	return map[string]any{"Parameter": out}, nil
}
