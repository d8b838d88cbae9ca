# journeygate — two commands matter: `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
FAULT ?=
TOOLS := $(CURDIR)/.tools
ALERTMANAGER_VERSION := v0.28.1
ALERTMANAGER := $(TOOLS)/alertmanager-$(ALERTMANAGER_VERSION)/alertmanager
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
GOVULNCHECK_VERSION := v1.1.4
GOVULNCHECK := $(TOOLS)/govulncheck-$(GOVULNCHECK_VERSION)/govulncheck
export JOURNEYGATE_ALERTMANAGER := $(ALERTMANAGER)
# The CDK's jsii runtime warns on every start that Node 20 is past end of life.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
ENV   ?=
# The stack of ENV is PREFIX-ENV: name_prefix of infra/deploy.yaml, default journeygate.
PREFIX ?= journeygate
CDK   := infra/_cli/node_modules/.bin/cdk
# The browser test (test/browser) drives Debian's chromium package headless.
CHROMIUM ?= chromium
export JOURNEYGATE_CHROMIUM := $(CHROMIUM)

.PHONY: run test build cli tools browser-tools unit integration vet check vulncheck fmt-check bench bench-api bench-ui bench-tests clean help synth deploy diff soak fuzz figures figures-reliability figures-soak figures-fuzz figures-bench figures-bench-api figures-bench-ui figures-sync

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

run: cli $(ALERTMANAGER) browser-tools ## run the example journeys against a real local Alertmanager (FAULT=drop-notifications|slow-group-wait|no-resolved|ui-not-routed|wrong-smarthost|group-by-instance|wrong-webhook-url breaks it)
	@$(GO) build -o bin/demo ./test/cmd/demo
	@code=0; bin/demo -journeygate bin/journeygate $(if $(FAULT),-fault $(FAULT)) || code=$$?; \
	echo "journeygate exit code: $$code"; exit $$code

test: tools test/node_modules/.installed fmt-check check ## everything: format, static checks, unit and integration tests; then the reliability figures
	@rm -rf test/out/figures; mkdir -p test/out
	@echo "$(GO) test -race -count=1 -timeout 12m ./...   (log: $(TEST_LOG))"
	@set -o pipefail; start=$$(date +%s); \
		$(GO) test -race -count=1 -timeout 12m ./... 2>&1 | tee $(TEST_LOG); code=$$?; \
		echo "make test: go test took $$(( $$(date +%s) - start ))s" | tee -a $(TEST_LOG); exit $$code
	@for f in test/out/figures/*.txt; do [ -f "$$f" ] && { echo; cat "$$f"; }; done; true

FUNCTIONS := hook runner gate sink
DIST      ?= dist

build: test/node_modules/.installed ## build the Lambda functions into dist/NAME/bootstrap (provided.al2023, linux/arm64), the browser runner (x86_64) and its Chromium layer
	@for fn in $(FUNCTIONS); do \
		echo "building $(DIST)/$$fn/bootstrap"; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w" \
			-o $(DIST)/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done
	@echo "building $(DIST)/browser-runner/bootstrap (linux/amd64: Chromium for Lambda is x86-64 only)"
	@GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w" \
		-o $(DIST)/browser-runner/bootstrap ./functions/browser-runner
	@echo "staging $(DIST)/chromium-layer/chromium (@sparticuz/chromium's brotli files, pinned in test/package.json)"
	@rm -rf $(DIST)/chromium-layer && mkdir -p $(DIST)/chromium-layer/chromium && \
		cp test/node_modules/@sparticuz/chromium/bin/*.br $(DIST)/chromium-layer/chromium/

synth: build ## synthesize every environment's stack of infra/deploy.yaml into cdk.out (offline, no credentials)
	$(GO) run ./infra/app
	@echo "templates: $$(ls cdk.out/*.template.json | tr '\n' ' ')"

$(CDK): infra/_cli/package.json infra/_cli/package-lock.json
	cd infra/_cli && npm ci --no-audit --no-fund
	touch $@

deploy: build $(CDK) ## deploy one environment's stack with the CDK CLI: make deploy ENV=staging (needs AWS credentials)
	@test -n "$(ENV)" || { echo "usage: make deploy ENV=<environment of infra/deploy.yaml>"; exit 2; }
	$(CDK) deploy $(PREFIX)-$(ENV) --require-approval broadening

diff: build $(CDK) ## show what make deploy ENV=... would change
	@test -n "$(ENV)" || { echo "usage: make diff ENV=<environment of infra/deploy.yaml>"; exit 2; }
	$(CDK) diff $(PREFIX)-$(ENV)

cli: ## build the CLI into bin/
	$(GO) build -o bin/journeygate ./cmd/journeygate

tools: $(ALERTMANAGER) test/node_modules/.installed browser-tools ## build pinned tools into .tools/, install test/node_modules and chromium

browser-tools: ## install Debian's chromium for the UI journey and the browser test when it is missing (as root; otherwise say how)
	@if command -v $(CHROMIUM) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium (Debian package) for the UI journey and the browser test"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "warning: $(CHROMIUM) is missing and this is not root: the UI journey (make run) and test/browser fail until it is installed:"; \
		echo "  sudo apt-get update && sudo apt-get install -y chromium   (or make test CHROMIUM=/path/to/chromium)"; \
	fi

test/node_modules/.installed: test/package.json test/package-lock.json
	cd test && npm ci --no-audit --no-fund
	touch $@

$(ALERTMANAGER):
	@echo "building Alertmanager $(ALERTMANAGER_VERSION) from the Go module proxy into $(@D)"
	GOBIN=$(@D) CGO_ENABLED=0 $(GO) install github.com/prometheus/alertmanager/cmd/alertmanager@$(ALERTMANAGER_VERSION)

unit: test/node_modules/.installed ## unit tests only (no Alertmanager; the store tests start dynalite)
	$(GO) test -race -count=1 ./shared/... ./journeys/... ./cmd/... ./cli/... ./internal/... ./lambda/...

integration: tools ## integration tests against a real Alertmanager
	$(GO) test -race -count=1 -timeout 10m ./test/...

vet:
	$(GO) vet ./...

check: vet $(STATICCHECK) ## go vet, staticcheck (pinned) and go mod verify: zero findings
	$(STATICCHECK) ./...
	$(GO) mod verify

$(STATICCHECK):
	@echo "building staticcheck $(STATICCHECK_VERSION) into $(@D)"
	GOBIN=$(@D) CGO_ENABLED=0 $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

vulncheck: $(GOVULNCHECK) ## known vulnerabilities in the code's call graph (needs network access to vuln.go.dev; not part of make test)
	$(GOVULNCHECK) ./...

$(GOVULNCHECK):
	GOBIN=$(@D) CGO_ENABLED=0 $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The benchmarks of docs/performance.md: issue 7's (bench-api) and issue
# 17's UI journeys (bench-ui). Timing figures depend on the machine: run
# them on a quiet one. Packages run one at a time (-p 1) so builds,
# dynalite and Chromium do not share the CPU with the timed benchmarks.
# BENCH_FORMAT prints one figure per line, and the benchmarks' log lines
# and failures.
BENCH_FORMAT = awk '/^Benchmark/ { name = $$1; sub(/-[0-9]+$$/, "", name); n = 0; \
			for (i = 3; i < NF; i += 2) if ($$(i+1) !~ /^(ns|B|allocs)\/op$$/) { printf "%-64s %14s %s\n", name, $$i, $$(i+1); n++ }; \
			if (n == 0) printf "%-64s %14s %s\n", name, $$3, $$4; next } \
		/^(FAIL|--- FAIL|panic:)/ || /^    [a-z_]+_test\.go:[0-9]+: / { print }'
bench: ## every figure of issues 7, 17 and 19, one per line: bench-api, bench-ui, then the slowest packages of the last make test
	@$(MAKE) -s --no-print-directory bench-api && $(MAKE) -s --no-print-directory bench-ui && $(MAKE) -s --no-print-directory bench-tests

# make test's log: each package's "ok" or "FAIL" line with its time, and
# the go test step's wall time, which bench-tests reads (issue 19: keep
# make test within about 15 minutes) instead of running the suite again.
TEST_LOG := test/out/go-test.log
bench-tests: ## the five slowest test packages and the go test step's time, from the last make test's log
	@if [ ! -f $(TEST_LOG) ]; then echo "slowest test packages: $(TEST_LOG) is missing: make test writes it"; exit 0; fi; \
	echo "slowest test packages of the last make test ($(TEST_LOG), $$(date -r $(TEST_LOG) -u +%Y-%m-%dT%H:%MZ)):"; \
	awk '($$1 == "ok" || $$1 == "FAIL") && $$3 ~ /^[0-9.]+s$$/ { t = $$3; sub(/s$$/, "", t); print t, $$2 }' $(TEST_LOG) | sort -rn | head -5 | \
		awk '{ printf "%-64s %14s %s\n", "TestPackage/" $$2, $$1, "s" }'; \
	awk '/^make test: go test took / { t = $$NF; sub(/s$$/, "", t); printf "%-64s %14s %s\n", "MakeTestGoTest", t, "s" }' $(TEST_LOG)

# Faults TestTimeToPage injects for bench-api's time to page (issue 19).
PAGE_INJECTIONS ?= 7
BENCH_PKGS := ./internal/runner ./shared/journey ./internal/sink ./internal/store/embedded ./internal/store/dynamo ./functions
bench-api: $(ALERTMANAGER) test/node_modules/.installed ## issue 7's figures: overhead, detection latency, package sizes and cold init, store calls, cost per run; issue 19's time to page
	@set -o pipefail; { \
		$(GO) test -p 1 -count=1 -run '^$$' -bench . -benchtime=1x -timeout 15m $(BENCH_PKGS) && \
		$(GO) test -count=1 -run '^TestTransitionsPerRun$$' -bench '^BenchmarkCostModel$$' -benchtime=1x -timeout 15m ./test/contract && \
		$(GO) test -count=1 -run '^TestTimeToPage$$' -bench '^BenchmarkTimeToPage$$' -benchtime=1x -timeout 15m ./test/contract -injections $(PAGE_INJECTIONS); \
	} | $(BENCH_FORMAT)

BENCH_UI_PKGS := ./test/browserbench
bench-ui: $(ALERTMANAGER) browser-tools ## issue 17's UI journey figures: Chromium start to first navigation, peak memory and cost of the example UI journey, overhead over the page's own waits
	@set -o pipefail; $(GO) test -p 1 -count=1 -run '^$$' -bench . -benchtime=1x -timeout 20m $(BENCH_UI_PKGS) | $(BENCH_FORMAT)

# Measured figures in docs/ come from here, never from hand edits: each
# target runs what measures them and writes docs/figures/NAME.txt under a
# header naming the command, the time, the machine and its load average,
# then puts the files into the docs' marked blocks (figures-sync;
# test/docs fails when a block and its file differ). Timing figures depend
# on the machine: run them on a quiet one.
FIGURES_TOOL = $(GO) run ./test/cmd/figures
LOADAVG      = $$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
figures: figures-reliability figures-soak figures-fuzz figures-bench ## measure every figure docs/ shows into docs/figures (about 10 minutes on 2 cores)

figures-reliability: tools ## docs/figures: the fault matrix, duplicates and lease contention tables (the ones make test prints)
	@load=$(LOADAVG); rm -f test/out/figures/1-*.txt test/out/figures/2-*.txt test/out/figures/3-*.txt; \
	$(GO) test -race -count=1 -timeout 12m -run '^(TestFaultMatrix|TestRedeliveredHookStartsOneRun)$$' ./test/contract && \
	$(GO) test -race -count=1 -timeout 12m -run '^TestLeaseContentionDynamo$$' ./internal/lease && \
	$(FIGURES_TOOL) copy -command "make figures-reliability (go test -race: test/contract TestFaultMatrix, TestRedeliveredHookStartsOneRun; internal/lease TestLeaseContentionDynamo)" -load "$$load" \
		test/out/figures/1-fault-matrix.txt test/out/figures/2-duplicates.txt test/out/figures/3-lease-contention.txt
	@$(FIGURES_TOOL) sync

figures-soak: $(ALERTMANAGER) ## docs/figures: make soak's three tables (SOAK_RUNS API journey runs, SOAK_UI_RUNS UI journey runs, then every fault)
	@load=$(LOADAVG); rm -f test/out/figures/4-*.txt test/out/figures/5-*.txt test/out/figures/6-*.txt; \
	$(MAKE) --no-print-directory soak && \
	$(FIGURES_TOOL) copy -command "make soak SOAK_RUNS=$(SOAK_RUNS) SOAK_CONCURRENCY=$(SOAK_CONCURRENCY) SOAK_UI_RUNS=$(SOAK_UI_RUNS) SOAK_UI_CONCURRENCY=$(SOAK_UI_CONCURRENCY)" -load "$$load" \
		test/out/figures/4-soak-healthy.txt test/out/figures/5-soak-faults.txt test/out/figures/6-soak-ui.txt
	@$(FIGURES_TOOL) sync

figures-fuzz: ## docs/figures: make fuzz's line per target and its total
	@set -o pipefail; load=$(LOADAVG); out=$$(mktemp); \
	$(MAKE) -s --no-print-directory fuzz | tee $$out && \
	$(FIGURES_TOOL) save -command "make fuzz FUZZTIME=$(FUZZTIME) FUZZPARALLEL=$(FUZZPARALLEL)" -load "$$load" fuzz.txt < $$out; \
	code=$$?; rm -f $$out; exit $$code
	@$(FIGURES_TOOL) sync

figures-bench: figures-bench-api figures-bench-ui ## docs/figures: make bench's figures, one per line (bench.txt, bench-ui.txt)

figures-bench-api: $(ALERTMANAGER) test/node_modules/.installed ## docs/figures/bench.txt: make bench-api's figures
	@set -o pipefail; load=$(LOADAVG); out=$$(mktemp); \
	$(MAKE) -s --no-print-directory bench-api | tee $$out && \
	$(FIGURES_TOOL) save -command "make bench-api" -load "$$load" bench.txt < $$out; \
	code=$$?; rm -f $$out; exit $$code
	@$(FIGURES_TOOL) sync

figures-bench-ui: $(ALERTMANAGER) browser-tools ## docs/figures/bench-ui.txt: make bench-ui's figures
	@set -o pipefail; load=$(LOADAVG); out=$$(mktemp); \
	$(MAKE) -s --no-print-directory bench-ui | tee $$out && \
	$(FIGURES_TOOL) save -command "make bench-ui" -load "$$load" bench-ui.txt < $$out; \
	code=$$?; rm -f $$out; exit $$code
	@$(FIGURES_TOOL) sync

figures-sync: ## put docs/figures/*.txt into the marked blocks of README.md and docs/*.md
	@$(FIGURES_TOOL) sync

SOAK_RUNS           ?= 2000
SOAK_CONCURRENCY    ?= 64
SOAK_UI_RUNS        ?= 200
SOAK_UI_CONCURRENCY ?= 2
soak: $(ALERTMANAGER) browser-tools ## SOAK_RUNS (2000) API and SOAK_UI_RUNS (200) UI journey runs against a healthy Alertmanager: false failures, flakes, rate; then every real fault: detected?
	$(GO) test -count=1 -timeout 60m -run '^TestSoak$$' -v ./test/soak \
		-soak.runs=$(SOAK_RUNS) -soak.concurrency=$(SOAK_CONCURRENCY) \
		-soak.ui-runs=$(SOAK_UI_RUNS) -soak.ui-concurrency=$(SOAK_UI_CONCURRENCY) -soak.sequential

# Fuzz targets are found by their declarations, so a new one is picked up;
# a failing input is written to the package's testdata/fuzz/TARGET/ (commit
# it as a regression seed once fixed).
FUZZTIME         ?= 10s
FUZZPARALLEL     ?= 2
FUZZMINIMIZETIME ?= 5s
fuzz: ## every go test -fuzz target (func Fuzz* in a fuzz_test.go), each for FUZZTIME (10s), one after another: execs, new inputs, failures
	@targets=$$(grep -rE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.tools --exclude-dir=cdk.out '^func Fuzz[A-Za-z0-9_]*\(' . \
		| sed -E 's|^\./(.*)/[^/]*:func (Fuzz[A-Za-z0-9_]*)\(.*|./\1 \2|' | sort); \
	test -n "$$targets" || { echo "fuzz: no Fuzz targets found"; exit 1; }; \
	n=0; failed=0; total=0; start=$$SECONDS; \
	while read -r pkg target; do \
		n=$$((n+1)); \
		out=$$($(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) -parallel $(FUZZPARALLEL) "$$pkg" 2>&1); code=$$?; \
		last=$$(printf '%s\n' "$$out" | grep -E '^fuzz: elapsed: [0-9]+s, execs: [0-9]+' | tail -1); \
		execs=$$(printf '%s' "$$last" | sed -nE 's/.*execs: ([0-9]+).*/\1/p'); execs=$${execs:-0}; \
		secs=$$(printf '%s' "$$last" | sed -nE 's/^fuzz: elapsed: ([0-9]+)s.*/\1/p'); \
		new=$$(printf '%s' "$$last" | sed -nE 's/.*new interesting: ([0-9]+) \(total: ([0-9]+)\).*/\1 (corpus \2)/p'); \
		total=$$((total+execs)); \
		if [ $$code -eq 0 ]; then result=ok; else result=FAIL; failed=$$((failed+1)); fi; \
		printf '%-4s %-26s %-30s %10s execs %7s/s  new interesting %s\n' "$$result" "$$target" "$$pkg" "$$execs" \
			"$$([ -n "$$secs" ] && [ "$$secs" -gt 0 ] && echo $$((execs/secs)) || echo -)" "$${new:--}"; \
		if [ $$code -ne 0 ]; then printf '%s\n' "$$out" | grep -vE '^fuzz: elapsed' | sed 's/^/    /'; fi; \
	done <<< "$$targets"; \
	echo "fuzz: $$n targets, $$((n-failed)) passed, $$failed failed, $$total execs in $$((SECONDS-start))s ($(FUZZTIME) each)"; \
	test $$failed -eq 0

clean:
	rm -rf bin dist .journeygate cdk.out
