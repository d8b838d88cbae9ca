# journeygate — two commands matter: `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
FAULT ?=
TOOLS := $(CURDIR)/.tools
ALERTMANAGER_VERSION := v0.28.1
ALERTMANAGER := $(TOOLS)/alertmanager-$(ALERTMANAGER_VERSION)/alertmanager
export JOURNEYGATE_ALERTMANAGER := $(ALERTMANAGER)
# The CDK's jsii runtime warns on every start that Node 20 is past end of life.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
ENV   ?=
CDK   := infra/_cli/node_modules/.bin/cdk

.PHONY: run test build cli tools unit integration vet fmt-check bench clean help synth deploy diff

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

run: cli $(ALERTMANAGER) ## run the example journeys against a real local Alertmanager (FAULT=drop-notifications|slow-group-wait|no-resolved breaks it)
	@$(GO) build -o bin/demo ./test/cmd/demo
	@code=0; bin/demo -journeygate bin/journeygate $(if $(FAULT),-fault $(FAULT)) || code=$$?; \
	echo "journeygate exit code: $$code"; exit $$code

test: tools test/node_modules/.installed fmt-check vet ## everything: format, vet, unit and integration tests
	$(GO) test -race -count=1 -timeout 12m ./...

FUNCTIONS := hook runner gate sink
DIST      ?= dist

build: ## build the Lambda functions into dist/NAME/bootstrap (provided.al2023, linux/arm64)
	@for fn in $(FUNCTIONS); do \
		echo "building $(DIST)/$$fn/bootstrap"; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w" \
			-o $(DIST)/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

synth: build ## synthesize every environment's stack of infra/deploy.yaml into cdk.out (offline, no credentials)
	$(GO) run ./infra/app
	@echo "templates: $$(ls cdk.out/*.template.json | tr '\n' ' ')"

$(CDK): infra/_cli/package.json infra/_cli/package-lock.json
	cd infra/_cli && npm ci --no-audit --no-fund
	touch $@

deploy: build $(CDK) ## deploy one environment's stack with the CDK CLI: make deploy ENV=staging (needs AWS credentials)
	@test -n "$(ENV)" || { echo "usage: make deploy ENV=<environment of infra/deploy.yaml>"; exit 2; }
	$(CDK) deploy journeygate-$(ENV) --require-approval broadening

diff: build $(CDK) ## show what make deploy ENV=... would change
	@test -n "$(ENV)" || { echo "usage: make diff ENV=<environment of infra/deploy.yaml>"; exit 2; }
	$(CDK) diff journeygate-$(ENV)

cli: ## build the CLI into bin/
	$(GO) build -o bin/journeygate ./cmd/journeygate

tools: $(ALERTMANAGER) test/node_modules/.installed ## build pinned tools into .tools/ and install test/node_modules

test/node_modules/.installed: test/package.json test/package-lock.json
	cd test && npm ci --no-audit --no-fund
	touch $@

$(ALERTMANAGER):
	@echo "building Alertmanager $(ALERTMANAGER_VERSION) from the Go module proxy into $(@D)"
	GOBIN=$(@D) CGO_ENABLED=0 $(GO) install github.com/prometheus/alertmanager/cmd/alertmanager@$(ALERTMANAGER_VERSION)

unit: test/node_modules/.installed ## unit tests only (no Alertmanager; the store tests start dynalite)
	$(GO) test -race -count=1 ./shared/... ./journeys/... ./cmd/...

integration: tools ## integration tests against a real Alertmanager
	$(GO) test -race -count=1 -timeout 10m ./test/...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

bench: ## benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./shared/...

clean:
	rm -rf bin dist .journeygate cdk.out
