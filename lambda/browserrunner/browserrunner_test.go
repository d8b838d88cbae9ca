package browserrunner

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallChromium: the runner (no layer) sets nothing; the browser
// runner refuses a layer it cannot unpack, or an executable path that is
// not where it unpacks, before serving an event.
func TestInstallChromium(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name string
		env  map[string]string
		want string // "" = no error
	}{
		{"runner: no layer", map[string]string{"JOURNEYGATE_CHROMIUM": "/usr/bin/chromium"}, ""},
		{"layer without its files", map[string]string{"JOURNEYGATE_CHROMIUM_LAYER": t.TempDir(), "JOURNEYGATE_CHROMIUM": filepath.Join(t.TempDir(), "chromium")}, "lacks chromium.br"},
		{"executable named otherwise", map[string]string{"JOURNEYGATE_CHROMIUM_LAYER": t.TempDir(), "JOURNEYGATE_CHROMIUM": "/tmp/chrome"}, "DIR/chromium"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{}
			err := installChromium(func(k string) string { return tt.env[k] }, func(k, v string) error { set[k] = v; return nil }, log)
			if tt.want == "" {
				if err != nil || len(set) != 0 {
					t.Fatalf("err %v, set %v; want nothing done", err, set)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
