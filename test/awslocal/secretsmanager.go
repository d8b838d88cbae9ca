package awslocal

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsManagerTarget is the X-Amz-Target prefix of the Secrets Manager
// API.
const SecretsManagerTarget = "secretsmanager."

// secretVersion is one version of a secret: a string or a binary value.
type secretVersion struct {
	id      string
	str     *string
	binary  []byte
	created time.Time
}

// secret is a secret and its versions, oldest first.
type secret struct {
	name     string
	arn      string
	versions []secretVersion
}

// SecretsManager is a local Secrets Manager endpoint serving
// GetSecretValue from an in-memory map. A secret is found by its name, its
// full ARN or its ARN without the six-character suffix (a partial ARN), as
// Secrets Manager finds it; an unknown one answers
// ResourceNotFoundException.
type SecretsManager struct {
	*endpoint
	smu     sync.Mutex
	secrets map[string]*secret // by name
}

// StartSecretsManager starts the endpoint on a free loopback port, stopped
// when t ends.
func StartSecretsManager(t testing.TB) *SecretsManager {
	t.Helper()
	s := &SecretsManager{secrets: map[string]*secret{}}
	s.endpoint = startEndpoint(t, SecretsManagerTarget, map[string]operation{
		"GetSecretValue": s.getSecretValue,
	})
	return s
}

// URL is the endpoint's base URL.
func (s *SecretsManager) URL() string { return s.srv.URL }

// Config is an aws.Config pointing at the endpoint with dummy credentials.
func (s *SecretsManager) Config() aws.Config { return s.awsConfig() }

// Client returns a real Secrets Manager client pointed at the endpoint.
func (s *SecretsManager) Client(optFns ...func(*secretsmanager.Options)) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(s.awsConfig(), optFns...)
}

// Requests lists every call received, including rejected ones.
func (s *SecretsManager) Requests() []Request { return s.log() }

// ThrottleNext makes the next n calls answer ThrottlingException.
func (s *SecretsManager) ThrottleNext(n int) { s.failNext(n, "ThrottlingException", "Rate exceeded") }

// FailNext answers the next n calls with the given error code.
func (s *SecretsManager) FailNext(n int, code, message string) { s.failNext(n, code, message) }

// PutSecret stores value as the current version of the secret name
// (creating the secret if needed; the previous version becomes
// AWSPREVIOUS) and returns the secret's ARN.
func (s *SecretsManager) PutSecret(name, value string) string {
	return s.put(name, secretVersion{str: &value})
}

// PutSecretBinary stores a binary current version of the secret name and
// returns the secret's ARN.
func (s *SecretsManager) PutSecretBinary(name string, value []byte) string {
	return s.put(name, secretVersion{binary: append([]byte(nil), value...)})
}

func (s *SecretsManager) put(name string, v secretVersion) string {
	s.smu.Lock()
	defer s.smu.Unlock()
	sec, ok := s.secrets[name]
	if !ok {
		sec = &secret{name: name, arn: secretARN(name)}
		s.secrets[name] = sec
	}
	v.id = versionID(name, len(sec.versions)+1)
	v.created = time.Now().UTC()
	sec.versions = append(sec.versions, v)
	return sec.arn
}

// secretARN is the ARN Secrets Manager gives a secret: the name followed
// by a dash and six characters (derived from the name here, so stable).
func secretARN(name string) string {
	sum := sha256.Sum256([]byte(name))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	suffix := make([]byte, 6)
	for i := range suffix {
		suffix[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", Region, AccountID, name, suffix)
}

// versionID is a UUID-shaped version ID, stable per name and version.
func versionID(name string, n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", name, n))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// lookup finds a secret by name, full ARN or partial ARN. Callers hold smu.
func (s *SecretsManager) lookup(id string) *secret {
	if sec, ok := s.secrets[id]; ok {
		return sec
	}
	for _, sec := range s.secrets {
		if id == sec.arn || id == sec.arn[:len(sec.arn)-len("-abcdef")] {
			return sec
		}
	}
	return nil
}

func (s *SecretsManager) getSecretValue(body json.RawMessage) (any, *apiError) {
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionID    string `json:"VersionId"`
		VersionStage string `json:"VersionStage"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	if in.SecretID == "" {
		return nil, newError("InvalidParameterException", "You must provide a value for SecretId.")
	}
	s.smu.Lock()
	defer s.smu.Unlock()
	sec := s.lookup(in.SecretID)
	if sec == nil {
		return nil, newError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	cur := len(sec.versions) - 1
	i := cur
	switch {
	case in.VersionID != "":
		i = -1
		for j, v := range sec.versions {
			if v.id == in.VersionID {
				i = j
			}
		}
		if i < 0 {
			return nil, newError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: "+in.VersionID)
		}
	case in.VersionStage == "" || in.VersionStage == "AWSCURRENT":
	case in.VersionStage == "AWSPREVIOUS" && cur > 0:
		i = cur - 1
	default:
		return nil, newError("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: "+in.VersionStage)
	}
	v := sec.versions[i]
	var stages []string
	switch i {
	case cur:
		stages = []string{"AWSCURRENT"}
	case cur - 1:
		stages = []string{"AWSPREVIOUS"}
	}
	out := map[string]any{
		"ARN":         sec.arn,
		"Name":        sec.name,
		"VersionId":   v.id,
		"CreatedDate": float64(v.created.UnixMilli()) / 1000,
	}
	if stages != nil {
		out["VersionStages"] = stages
	}
	if v.str != nil {
		out["SecretString"] = *v.str
	} else {
		out["SecretBinary"] = v.binary // encoding/json writes base64, as the blob shape wants
	}
	return out, nil
}
