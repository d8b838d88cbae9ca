package lambdatarget

import (
	"strings"
	"testing"
)

func TestFunctionErrorMessage(t *testing.T) {
	cases := []struct {
		name, ran, payload, want string
	}{
		{"orders:7", "7", `{"errorMessage":"boom","errorType":"errorString"}`, "function orders:7 failed (Unhandled function error): errorString: boom"},
		{"orders:live", "7", `{"errorMessage":"boom"}`, "function orders:live (version 7) failed (Unhandled function error): boom"},
		{"orders:7", "7", `Task timed out after 3.00 seconds`, "function orders:7 failed (Unhandled function error): Task timed out after 3.00 seconds"},
		{"orders:7", "", `{"errorType":"Runtime.ExitError"}`, "function orders:7 failed (Unhandled function error): Runtime.ExitError"},
	}
	for _, tc := range cases {
		if got := functionError(tc.name, tc.ran, "Unhandled", []byte(tc.payload)); got != tc.want {
			t.Errorf("functionError(%s, %s) =\n%q, want\n%q", tc.name, tc.payload, got, tc.want)
		}
	}
	long := functionError("f:1", "1", "Unhandled", []byte(`{"errorMessage":"`+strings.Repeat("é", 600)+`"}`))
	if !strings.HasSuffix(long, "…") || len(long) > maxErrorMessage+100 || !strings.Contains(long, "éé") || strings.ContainsRune(long, '\uFFFD') {
		t.Errorf("a long message is cut, on a rune boundary: %q", long)
	}
}
