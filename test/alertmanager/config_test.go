package alertmanager

import (
	"slices"
	"strings"
	"testing"
)

// Start reports the addresses Alertmanager was given (Instance.Webhooks,
// Smarthost), which render returns: under a fault that breaks one, the
// broken one, named in the configuration, not the run's.
func TestRenderReturnsTheAddressesItConfigures(t *testing.T) {
	opts := Options{Webhooks: []string{"http://127.0.0.1:1111/"}, Smarthost: "127.0.0.1:2222"}
	for _, c := range []struct {
		fault                     string
		webhookBroken, smtpBroken bool
	}{
		{"", false, false},
		{"wrong-webhook-url", true, false},
		{"wrong-smarthost", false, true},
	} {
		o := opts
		o.Fault = c.fault
		r, err := render(o)
		if err != nil {
			t.Fatalf("%q: %v", c.fault, err)
		}
		if len(r.webhooks) != 1 || !strings.Contains(r.config, r.webhooks[0]) {
			t.Errorf("%q: webhooks %q, not in the configuration:\n%s", c.fault, r.webhooks, r.config)
		}
		if got := !slices.Equal(r.webhooks, o.Webhooks); got != c.webhookBroken {
			t.Errorf("%q: webhooks %q, options' %q", c.fault, r.webhooks, o.Webhooks)
		}
		if r.smarthost == "" || !strings.Contains(r.config, "smarthost: \""+r.smarthost+"\"") {
			t.Errorf("%q: smarthost %q, not in the configuration:\n%s", c.fault, r.smarthost, r.config)
		}
		if got := r.smarthost != o.Smarthost; got != c.smtpBroken {
			t.Errorf("%q: smarthost %q, options' %q", c.fault, r.smarthost, o.Smarthost)
		}
	}
}
