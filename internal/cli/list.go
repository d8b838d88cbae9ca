package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

func cmdList(args []string, e env) error {
	fs := newFlagSet("list", e.stderr)
	asJSON := fs.Bool("json", false, "print the catalogue as JSON")
	tier := fs.String("tier", "", "only this tier: global or domain")
	if err := parse(fs, args); err != nil {
		return err
	}
	reg, err := e.registry()
	if err != nil {
		return err
	}
	all := reg.All()
	if *tier != "" {
		if all, err = selectJourneys(reg, nil, *tier, ""); err != nil {
			return err
		}
	}
	if *asJSON {
		type step struct {
			Name string `json:"name"`
			SLA  string `json:"sla"`
		}
		type entry struct {
			Name        string   `json:"name"`
			Description string   `json:"description"`
			Tier        string   `json:"tier"`
			Owner       string   `json:"owner"`
			Covers      []string `json:"covers"`
			Mode        string   `json:"mode"`
			Browser     bool     `json:"browser"` // Journey.Browser: a starter's make build asks it
			Steps       []step   `json:"steps"`
		}
		var out []entry
		for _, j := range all {
			en := entry{Name: j.Name, Description: j.Description, Tier: string(j.Tier), Owner: j.Owner, Covers: j.Covers, Mode: string(j.Mode), Browser: j.Browser}
			for _, s := range j.Steps {
				en.Steps = append(en.Steps, step{Name: s.Name, SLA: s.SLA.String()})
			}
			out = append(out, en)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOURNEY\tTIER\tOWNER\tCOVERS\tMODE\tSTEPS\tTOTAL SLA")
	for _, j := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", j.Name, j.Tier, j.Owner, strings.Join(j.Covers, ","), j.Mode, len(j.Steps), j.TotalSLA())
		for i, s := range j.Steps {
			fmt.Fprintf(tw, "  %d. %s\t\t\t\t\tSLA %s\t\n", i+1, s.Name, fmtDuration(s.SLA))
		}
	}
	return tw.Flush()
}

// fmtDuration prints durations the way people read them.
func fmtDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}
