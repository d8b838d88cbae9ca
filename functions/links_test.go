package functions

import (
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// sdkService is the import path prefix of the AWS SDK's service clients.
const sdkService = "github.com/aws/aws-sdk-go-v2/service/"

// credentialClients are the clients config.LoadDefaultConfig links for
// its credential providers (STS for web identity and assumed roles, SSO,
// SSO OIDC and sign-in for SSO profiles). No function links them: a
// Lambda's credentials are in its environment, and the mains build their
// aws.Config from it (package internal/awsenv), so that the four clients'
// initialisers do not run at every cold start (issue 19).
var credentialClients = []string{"signin", "sso", "ssooidc", "sts"}

// linkedClients is, per function, every AWS SDK service client it may
// link (github.com/aws/aws-sdk-go-v2/service/NAME and its packages);
// credentialClients are never allowed. Each one's package initialisers (its
// endpoint tables, at least) run at every cold start of the function, so
// a new client is a decision: add it here with the reason, and measure
// BenchmarkColdInit (issue 19: at most 20 ms median).
var linkedClients = map[string][]string{
	"hook": {
		"sfn",             // StartExecution: the run it starts
		"codedeploy",      // PutLifecycleEventHookExecutionStatus: last-resort verdicts
		"codepipeline",    // PutJobSuccessResult / PutJobFailureResult
		"dynamodb",        // the store
		"dynamodbstreams", // linked by feature/dynamodb/attributevalue (the store)
	},
	"runner": {
		"dynamodb",        // the store
		"dynamodbstreams", // linked by feature/dynamodb/attributevalue
		"eventbridge",     // Journey Passed / Failed events
		"secretsmanager",  // secretsmanager: references (package secrets)
		"ssm",             // ssm: references (package secrets)
	},
	"gate": {
		"dynamodb",        // the store
		"dynamodbstreams", // linked by feature/dynamodb/attributevalue
		"codedeploy",      // the verdict to a CodeDeploy hook
		"codepipeline",    // the verdict to a CodePipeline job
		"eventbridge",     // the verdict's events
		"s3",              // the HTML run report (JOURNEYGATE_REPORT_BUCKET)
	},
	"sink": {
		"dynamodb",        // the store
		"dynamodbstreams", // linked by feature/dynamodb/attributevalue
		"secretsmanager",  // the bearer token, read at cold start (package awssm: not ssm)
		"s3",              // the mail SES's receipt rule stored, read per aws:ses record (handler/ses.go)
	},
}

// TestLinkedAWSClients pins the AWS SDK service clients each function
// links, from `go list -deps` of its main package built as `make build`
// builds it: a client that creeps in (a new import, or a shared package
// that starts importing one) fails here with the function and the package
// that brought it, and so does one the table names that is no longer
// linked. It also keeps out the SDK's schema packages
// (service/NAME/schemas): schema-based (de)serialization, from the
// releases go.mod stays below, builds thousands of package-level schemas
// at every cold start (ssm 10-18 ms, dynamodb 4-7 ms here).
func TestLinkedAWSClients(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			allowed, ok := linkedClients[name]
			if !ok {
				t.Fatalf("function %s has no row in linkedClients (functions/links_test.go): list the AWS clients it links", name)
			}
			for _, client := range allowed {
				if slices.Contains(credentialClients, client) {
					t.Fatalf("linkedClients[%q] allows %s, a credential provider's client: build aws.Config with internal/awsenv, not config.LoadDefaultConfig", name, client)
				}
			}
			// Each package with the packages it imports, so a new client
			// can be traced to the package that brought it.
			cmd := exec.Command(goBin, "list", "-tags", "lambda.norpc", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./"+name)
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps ./%s: %v", name, err)
			}
			linked := map[string]bool{}
			importers := map[string][]string{} // client -> packages outside the SDK importing it
			for line := range strings.Lines(string(out)) {
				fields := strings.Fields(line)
				if len(fields) == 0 {
					continue
				}
				pkg := fields[0]
				if client := serviceClient(pkg); client != "" {
					linked[client] = true
					if strings.HasSuffix(pkg, "/schemas") {
						t.Errorf("function %s links %s: the SDK's schema-based (de)serialization, whose package initialisers cost every cold start milliseconds (issue 19); keep %s%s at its last release before it in go.mod, or measure BenchmarkColdInit first", name, pkg, sdkService, client)
					}
				}
				if strings.HasPrefix(pkg, "github.com/aws/") {
					continue
				}
				for _, imp := range fields[1:] {
					if client := serviceClient(imp); client != "" {
						importers[client] = append(importers[client], pkg)
					}
				}
			}
			for _, client := range slices.Sorted(maps.Keys(linked)) {
				via := "through another SDK module"
				if len(importers[client]) > 0 {
					via = "imported by " + strings.Join(importers[client], ", ")
				}
				if slices.Contains(credentialClients, client) {
					t.Errorf("function %s links %s%s (%s), a client of config.LoadDefaultConfig's credential providers: a Lambda's credentials are in its environment, so build aws.Config with internal/awsenv and keep github.com/aws/aws-sdk-go-v2/config out of the function (issue 19)", name, sdkService, client, via)
					continue
				}
				if !slices.Contains(allowed, client) {
					t.Errorf("function %s links a new AWS client %s%s (%s): its initialisers run at every cold start (issue 19); if the function needs it, add %q to linkedClients[%q] in functions/links_test.go with the reason and check BenchmarkColdInit", name, sdkService, client, via, client, name)
				}
			}
			for _, client := range allowed {
				if !linked[client] {
					t.Errorf("function %s no longer links %s%s: drop %q from its row in functions/links_test.go, so that it cannot come back unnoticed", name, sdkService, client, client)
				}
			}
		})
	}
}

// serviceClient returns NAME for a package of the SDK's service client
// NAME (github.com/aws/aws-sdk-go-v2/service/NAME[/...]), "" for anything
// else, including the clients' shared service/internal packages.
func serviceClient(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, sdkService)
	if !ok {
		return ""
	}
	client, _, _ := strings.Cut(rest, "/")
	if client == "internal" {
		return ""
	}
	return client
}
