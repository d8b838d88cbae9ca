package envconfig

import (
	"time"

	"github.com/journeygate/journeygate/internal/yamlerr"
)

// Freeze bounds: a window shorter than a schedule's period would miss runs;
// one longer than a week judges an environment by stale runs.
const (
	// DefaultFreezeWindow is the freeze window when the file sets none.
	DefaultFreezeWindow = 30 * time.Minute
	minFreezeWindow     = time.Minute
	maxFreezeWindow     = 7 * 24 * time.Hour
)

// Gate configures the gate's policies for one environment.
type Gate struct {
	// Freeze is the unhealthy-environment freeze.
	Freeze Freeze
}

// Freeze switches and sizes the unhealthy-environment freeze: a deployment
// gate fails while the latest scheduled run of a global journey, started
// within Window, did not pass. On by default with DefaultFreezeWindow.
type Freeze struct {
	// Enabled switches the freeze on (the default) or off.
	Enabled bool
	// Window is how recent a failing scheduled run must be to freeze.
	Window time.Duration
}

// EffectiveWindow is the window the gate looks back over: 0 when the
// freeze is off (store.GatePolicy's "disabled").
func (f Freeze) EffectiveWindow() time.Duration {
	if !f.Enabled {
		return 0
	}
	return f.Window
}

// DefaultGate is the gate configuration of an environment whose entry sets
// none, and of an environment the file does not define.
func DefaultGate() Gate {
	return Gate{Freeze: Freeze{Enabled: true, Window: DefaultFreezeWindow}}
}

// GateOf returns the named environment's gate configuration, or
// DefaultGate when c is nil or does not define the environment.
func (c *Config) GateOf(name string) Gate {
	if c == nil {
		return DefaultGate()
	}
	if e, ok := c.Environments[name]; ok {
		return e.Gate
	}
	return DefaultGate()
}

// gateFormat is the file's gate section:
//
//	gate:
//	  freeze: {enabled: true, window: 30m}
type gateFormat struct {
	Freeze struct {
		Enabled *bool  `yaml:"enabled"`
		Window  string `yaml:"window"`
	} `yaml:"freeze"`
}

// parseGate applies defaults to an environment's gate section and records
// problems under path.
func parseGate(g gateFormat, path []string, p *yamlerr.Problems) Gate {
	out := DefaultGate()
	if g.Freeze.Enabled != nil {
		out.Freeze.Enabled = *g.Freeze.Enabled
	}
	if g.Freeze.Window != "" {
		at := append(append([]string{}, path...), "gate", "freeze", "window")
		d, err := time.ParseDuration(g.Freeze.Window)
		switch {
		case err != nil:
			p.Add(at, "%q is not a duration (e.g. 30m)", g.Freeze.Window)
		case d < minFreezeWindow || d > maxFreezeWindow:
			p.Add(at, "%s must be between %s and %s", d, minFreezeWindow, maxFreezeWindow)
		default:
			out.Freeze.Window = d
		}
	}
	return out
}
