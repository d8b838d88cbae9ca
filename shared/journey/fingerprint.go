package journey

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sort"
	"time"
)

// Fingerprint identifies what a deployment is sized and checked from in a
// catalogue: each journey's name, tier, mode, environments, targets,
// pools, steps (names and SLAs) and retry policy, independent of order.
// The CDK construct sets the catalogue's fingerprint on the runner, which
// refuses to start with a compiled-in catalogue of another fingerprint:
// timeouts, alarms and dashboards never describe journeys that do not run.
// Descriptions, owners, coverage and the steps' code do not count.
func Fingerprint(journeys []Journey) string {
	type step struct {
		Name string        `json:"n"`
		SLA  time.Duration `json:"s"`
	}
	type shape struct {
		Name         string        `json:"name"`
		Tier         Tier          `json:"tier"`
		Mode         Mode          `json:"mode"`
		Environments []string      `json:"envs,omitempty"`
		Targets      []string      `json:"targets,omitempty"`
		Needs        []string      `json:"needs,omitempty"`
		Steps        []step        `json:"steps"`
		Attempts     int           `json:"attempts"`
		RetryOn      []Outcome     `json:"retryOn,omitempty"`
		RetryDelay   time.Duration `json:"retryDelay,omitempty"`
	}
	sorted := func(s []string) []string {
		out := slices.Clone(s)
		slices.Sort(out)
		return slices.Compact(out)
	}
	shapes := make([]shape, 0, len(journeys))
	for _, j := range journeys {
		sh := shape{
			Name: j.Name, Tier: j.Tier, Mode: j.Mode,
			Environments: sorted(j.Environments), Targets: sorted(j.Targets), Needs: sorted(j.Needs),
			Attempts: j.Retry.Attempts(), RetryDelay: j.Retry.Delay,
		}
		for _, s := range j.Steps {
			sh.Steps = append(sh.Steps, step{Name: s.Name, SLA: s.SLA})
		}
		on := slices.Clone(j.Retry.On)
		slices.Sort(on)
		sh.RetryOn = slices.Compact(on)
		shapes = append(shapes, sh)
	}
	sort.SliceStable(shapes, func(a, b int) bool { return shapes[a].Name < shapes[b].Name })
	data, _ := json.Marshal(shapes) // plain values: cannot fail
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:12])
}

// Fingerprint is the fingerprint of the registry's journeys (see the
// function Fingerprint).
func (r *Registry) Fingerprint() string { return Fingerprint(r.journeys) }
