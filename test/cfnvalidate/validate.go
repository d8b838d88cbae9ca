package cfnvalidate

import (
	"fmt"
	"sync"
)

// Validate runs every validator on every stack the app synthesizes (and
// the Variants), each stack's validators starting as soon as it is
// synthesized, and adds what the CDK's own validation reported at
// synthesis. It returns the stacks' names and the findings, sorted.
func Validate() (stacks []string, findings []Finding, err error) {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	run := func(s Stack, check func(Stack) ([]Finding, error), name string) {
		defer wg.Done()
		fs, err := check(s)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s on %s: %w", name, s.Name, err))
			return
		}
		findings = append(findings, fs...)
	}
	err = synthesizeEach(func(s Stack) {
		stacks = append(stacks, s.Name)
		mu.Lock()
		findings = append(findings, s.Synthesis...)
		mu.Unlock()
		wg.Add(3)
		go run(s, Guard, ValidatorGuard)
		go run(s, Schemas, ValidatorSchema)
		go run(s, IAM, ValidatorIAM)
	})
	wg.Wait()
	if err != nil {
		return nil, nil, err
	}
	if len(errs) > 0 {
		return nil, nil, errs[0]
	}
	sortFindings(findings)
	return stacks, findings, nil
}
