package cli

import "os"

// CheckEnvironments checks cfg's catalogue against every environment of
// its environments file (found as the commands find it without --config):
// the targets and pools the journeys that run there use, and the settings
// they declare. run checks only the environment it runs against, whose
// variables are the ones set on this machine; this is the whole file, for
// a team's test, so a target missing from staging fails go test rather
// than the first staging run. ${VAR} without a default must be set.
func CheckEnvironments(cfg Config) error {
	e := env{getenv: os.Getenv, cfg: cfg}
	reg, err := e.registry()
	if err != nil {
		return err
	}
	envs, err := (&common{}).loadConfig(e)
	if err != nil {
		return err
	}
	return envs.Check(reg.All())
}
