# Sponsorship Tracker. The two commands a new machine needs:
#   make dev    start the whole stack locally (API on http://127.0.0.1:3000)
#   make test   run every test, lint the template, build the functions as SAM does and
#               run the bounded load test
# Both install what they need first (Python tools into .venv, pinned).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO      ?= go
PYTHON  ?= python3
VENV    := .venv
CHECKOV_VENV := .venv-checkov
LOCAL   := $(GO) run ./infra/cmd/local
LOCAL_BIN := .cache/bin/local
# The local AWS emulator: a module of its own, which the product uses through a replace.
EMULATOR := infra/motostack
# Tests that talk to moto, the local stack or a browser are built with this tag.
INTEGRATION := -tags integration

# Tools from .venv come first; SAM CLI sends no telemetry from here.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

# Lambda binaries as the style guide and sam build agree: static, no RPC shim, no
# paths or symbols. sam build passes these through from the environment.
LAMBDA_ENV := CGO_ENABLED=0 GOFLAGS="-tags=lambda.norpc -trimpath -ldflags=-s"

# Short fuzzing runs in every test run, counted in executions: Go 1.26's coordinator
# can report a bare "context deadline exceeded" when a duration-based -fuzztime ends
# while a worker is mid-call (golang/go#75804, fixed in Go 1.27); a count has no
# deadline to race. `make fuzz FUZZTIME=5m` goes longer.
FUZZTIME ?= 10000x
FUZZ_TARGETS := \
	./shared/money:FuzzParse \
	./shared/sponsorship:FuzzValidate \
	./shared/api:FuzzDecodeRequest \
	./shared/api:FuzzStaffFromGateway \
	./shared/dynamostore:FuzzDecodeCursor \
	./shared/dynamostore:FuzzEventFromStream \
	./functions/notify:FuzzStreamBatch \
	./shared/tabular:FuzzCellWriter \
	./shared/orgname:FuzzKey \
	./shared/evidence:FuzzCheck

.PHONY: help tools checkov-tools browser warm dev test go-lane checks-lane test-go bench-smoke fuzz lint build load schemathesis bench report-previews clean

help:
	@echo "make dev    start the stack locally (API on http://127.0.0.1:3000)"
	@echo "make test   run every test (go test ./... alone runs the fast ones), the linters, sam build and the load run"
	@echo "make lint   gofmt, go vet (also for macOS and Windows), no-Scan check, cfn-lint, checkov"
	@echo "make build  sam build (arm64 bootstraps in .aws-sam/build)"
	@echo "make fuzz   fuzz each target for FUZZTIME (default $(FUZZTIME))"
	@echo "make load   1000 submissions at concurrency 32 through a local stack, each confirmed from its mail, counted"
	@echo "make schemathesis   a longer schemathesis run (SCHEMATHESIS_EXAMPLES, default $(SCHEMATHESIS_EXAMPLES))"
	@echo "make bench  sizes, cold starts, per-request cost, DynamoDB work, scaling, the console; writes BENCHMARKS.md"
	@echo "make report-previews   each finance report rendered by LibreOffice to PNG under $(PREVIEW_DIR)"

# Python tools, pinned with every dependency (infra/requirements.lock), reinstalled
# when the lock changes.
tools: $(VENV)/.installed
$(VENV)/.installed: infra/requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "python3 is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --no-compile --disable-pip-version-check -r infra/requirements.lock
	touch $@

# checkov pins its own boto3, so it lives in a venv of its own.
checkov-tools: $(CHECKOV_VENV)/.installed
$(CHECKOV_VENV)/.installed: infra/checkov.lock
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --no-compile --disable-pip-version-check -r infra/checkov.lock
	touch $@

# The browser tests drive Debian's Chromium; install it when it is missing.
browser:
	@command -v chromium >/dev/null || { \
		echo "installing chromium with apt (for the browser tests)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
		command -v chromium >/dev/null || { echo "chromium could not be installed" >&2; exit 1; }; }

# The Python tools install while Go compiles the local stack and the functions into its
# build cache, so a fresh machine is up in about a minute.
dev:
	@$(MAKE) --no-print-directory -j3 tools warm
	$(LOCAL_BIN) dev

# Same flags as the functions, so the SDK is compiled once for both.
warm:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(LOCAL_BIN) ./infra/cmd/local
	$(LOCAL_BIN) prebuild

# Two lanes side by side, each lane's output printed whole when it ends; any failure
# fails make test. One lane is the Go tests (their end-to-end and schemathesis stacks
# keep both cores busy), then the route benchmarks once; the other runs the static
# checks, fuzzing and the SAM build, then the load run, whose burst of notifications
# comes last, when the Go tests are done: with the load run in a lane of its own, its
# notifications fell so far behind on a busy machine that one batch exhausted its
# retries and went to the dead-letter queue.
test: tools checkov-tools browser
	@$(MAKE) --no-print-directory --output-sync=recurse -j2 go-lane checks-lane
	@echo "make test: all passed"

go-lane:
	@$(MAKE) --no-print-directory test-go
	@$(MAKE) --no-print-directory bench-smoke

checks-lane:
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory load

# Unit, storage, API, entry-point, end-to-end and browser tests against one moto for
# the whole run, and beside them the local AWS emulator's own tests (a Go module of its
# own, with a moto of its own): those mostly wait (visibility timeouts, retries), so
# they overlap the product's. The end-to-end suite, the longest package (about ten
# minutes on a slow day), is named first so that it starts first rather than last in
# go test's order; two packages run at a time, as before (more, and the stacks' functions
# time out on two cores). Tests that need moto carry the integration build tag, so
# plain `go test ./...` runs the fast ones with no service at all.
E2E := ./infra/suites/e2e
test-go: tools browser
	@mkdir -p artifacts
	@$(LOCAL) exec -- $(GO) -C $(EMULATOR) test $(INTEGRATION) -count=1 -race -timeout 30m ./... > artifacts/emulator-tests.txt 2>&1 & emulator=$$!; \
	status=0; $(LOCAL) exec -- $(GO) test $(INTEGRATION) -count=1 -race -timeout 30m $(E2E) $$($(GO) list $(INTEGRATION) ./... | grep -v '/infra/suites/e2e$$') || status=$$?; \
	wait $$emulator || status=$$?; \
	echo "emulator ($(EMULATOR)):"; cat artifacts/emulator-tests.txt; exit $$status

# Every function's route benchmarks once each, so a benchmark that no longer builds its
# handler, or a route without one, fails here rather than at the next make bench.
bench-smoke: tools
	@mkdir -p artifacts
	$(LOCAL) exec -- $(GO) test $(INTEGRATION) -count=1 -run '^$$' -bench . -benchtime 1x ./functions/... > artifacts/bench-smoke.txt \
		|| { grep -v '^Benchmark' artifacts/bench-smoke.txt; exit 1; }

# A thousand submissions at concurrency 32 through the gateway of a stack of its own,
# each confirmed with the link of its confirmation mail; fails unless exactly 1000
# requests, 1000 audit events, 1000 confirmations and every e-mail exist.
LOAD_N ?= 1000
LOAD_C ?= 32
load: tools
	@mkdir -p artifacts
	$(GO) run ./infra/cmd/load -n $(LOAD_N) -c $(LOAD_C) -json artifacts/load.json

# make test runs schemathesis with 12 examples per operation; this runs it longer.
SCHEMATHESIS_EXAMPLES ?= 150
schemathesis: tools
	SCHEMATHESIS_EXAMPLES=$(SCHEMATHESIS_EXAMPLES) $(GO) test $(INTEGRATION) -count=1 -v -run TestSchemathesis -timeout 60m ./infra/suites/apitest

# Every figure in BENCHMARKS.md, measured on this machine (about 10 minutes; not part of
# make test). The raw outputs stay in artifacts/bench; benchstat (pinned in go.mod as a
# tool) compares the two sides of each benchmark: adapter vs net/http, 1 000 vs 100 000
# stored requests, 10 000 vs 100 000 report rows.
BENCH_DIR   := artifacts/bench
BENCH_COUNT ?= 6
BENCH       := $(GO) run ./infra/cmd/bench -out $(BENCH_DIR)
bench: tools browser
	@mkdir -p $(BENCH_DIR)
	$(BENCH) sizes
	$(BENCH) -rounds 31 coldstart
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 0.3s -count $(BENCH_COUNT) ./shared/lambdahttp > $(BENCH_DIR)/handlers.txt
	$(LOCAL) exec -- $(GO) test $(INTEGRATION) -run '^$$' -bench . -benchmem -benchtime 30x -count 3 -timeout 30m \
		./functions/submissions ./functions/reviews ./functions/finance ./functions/admin >> $(BENCH_DIR)/handlers.txt
	$(GO) tool benchstat -col /via $(BENCH_DIR)/handlers.txt > $(BENCH_DIR)/handlers-benchstat.txt
	BENCH_OUT=$(CURDIR)/$(BENCH_DIR) $(LOCAL) exec -- $(GO) test $(INTEGRATION) -count=1 -run '^TestDynamoDBCostPerRoute$$' ./shared/api
	$(LOCAL) exec -- $(GO) test $(INTEGRATION) -run '^$$' -bench 'BenchmarkQueuePage|BenchmarkReportPage' -benchtime 10x -count 1 \
		-timeout 30m ./shared/dynamostore > $(BENCH_DIR)/scale.txt
	$(GO) tool benchstat -col /stored $(BENCH_DIR)/scale.txt > $(BENCH_DIR)/scale-benchstat.txt
	$(GO) test -run '^$$' -bench 'BenchmarkAppend|BenchmarkSignCheckpoint' -benchmem -benchtime 3000x -count $(BENCH_COUNT) \
		./shared/ledger > $(BENCH_DIR)/ledger.txt
	$(GO) test -run '^$$' -bench BenchmarkReport -count $(BENCH_COUNT) ./shared/tabular > $(BENCH_DIR)/reports.txt
	$(GO) tool benchstat -col /rows $(BENCH_DIR)/reports.txt > $(BENCH_DIR)/reports-benchstat.txt
	$(BENCH) stack
	$(BENCH) -rounds 15 console
	$(BENCH) render

# Finance's reports as LibreOffice shows them, for a person to look at (about 15 s;
# not part of make test): each report written from sample data by the real builders
# (infra/cmd/reportpreview), its XLSX rendered to PDF (one page per sheet, as on
# screen) and PNG; each CSV imported with a semicolon as the separator and formulas
# evaluated, as a spreadsheet in much of Europe opens it, rendered the same way and
# checked to hold no formula. Installs LibreOffice Calc, poppler-utils (pdftoppm) and
# Carlito (Calibri's metrics, the reports' font) with apt when missing.
PREVIEW_DIR := artifacts/report-previews
SOFFICE     := soffice --headless -env:UserInstallation=file://$(CURDIR)/.cache/libreoffice
PREVIEW_PDF := 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'
# CSV import options: separator ; (59), text delimiter " (34), UTF-8 (76), from line 1,
# English (1033) numbers, then "evaluate formulas" on (the 13th option).
SEMICOLON_CSV := CSV:59,34,76,1,,1033,false,false,false,false,false,0,true
report-previews:
	@{ command -v soffice && command -v pdftoppm && fc-list | grep -q Carlito; } >/dev/null 2>&1 || { \
		echo "installing LibreOffice Calc, poppler-utils and the Carlito font with apt (for the report previews)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito >/dev/null; \
		command -v soffice >/dev/null && command -v pdftoppm >/dev/null || { echo "LibreOffice or pdftoppm could not be installed" >&2; exit 1; }; }
	rm -rf $(PREVIEW_DIR) && mkdir -p $(PREVIEW_DIR)/csv-semicolon
	$(GO) run ./infra/cmd/reportpreview -out $(PREVIEW_DIR) write
	$(SOFFICE) --convert-to $(PREVIEW_PDF) --outdir $(PREVIEW_DIR) $(PREVIEW_DIR)/*.xlsx >/dev/null
	$(SOFFICE) --infilter=$(SEMICOLON_CSV) --convert-to xlsx --outdir $(PREVIEW_DIR)/csv-semicolon $(PREVIEW_DIR)/*.csv >/dev/null
	$(SOFFICE) --convert-to $(PREVIEW_PDF) --outdir $(PREVIEW_DIR)/csv-semicolon $(PREVIEW_DIR)/csv-semicolon/*.xlsx >/dev/null
	$(GO) run ./infra/cmd/reportpreview check $(PREVIEW_DIR)/csv-semicolon/*.xlsx
	@for pdf in $(PREVIEW_DIR)/*.pdf $(PREVIEW_DIR)/csv-semicolon/*.pdf; do pdftoppm -png -r 110 -singlefile "$$pdf" "$${pdf%.pdf}"; done
	@echo "previews:"; ls -1 $(PREVIEW_DIR)/*.png $(PREVIEW_DIR)/csv-semicolon/*.png

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg > /tmp/fuzz-$$name.log 2>&1 \
			|| { cat /tmp/fuzz-$$name.log; exit 1; }; \
	done

lint: tools checkov-tools
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.venv/*')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted" >&2; exit 1; fi
	$(GO) vet $(INTEGRATION) ./...
	$(GO) -C $(EMULATOR) vet $(INTEGRATION) ./...
	@# The product, the emulator and their tests compile for macOS and Windows too:
	@# Linux-only process controls live behind build tags (infra/motostack/proc).
	for os in darwin windows; do GOOS=$$os GOARCH=arm64 $(GO) vet $(INTEGRATION) ./... && GOOS=$$os GOARCH=arm64 $(GO) -C $(EMULATOR) vet $(INTEGRATION) ./...; done
	@if grep -rn --include='*.go' -E '\.Scan\(|ScanInput|NewScanPaginator' shared functions; then \
		echo "the table is never scanned: use a key or an index" >&2; exit 1; fi
	cfn-lint template.yaml
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --quiet --compact --skip-download

build: tools
	$(LAMBDA_ENV) sam build --template-file template.yaml --build-dir .aws-sam/build

clean:
	rm -rf .aws-sam build
