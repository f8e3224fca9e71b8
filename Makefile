# Warren's build and test entry points. `make test` is what CI runs.
GO ?= go

.PHONY: all build run test deps vet unit integration-amqp091 compat compat-mgmt bench fuzz compare

all: build

build:
	$(GO) build -o bin/warren ./cmd/warren

run:
	$(GO) run ./cmd/warren server

# test: everything CI checks, from a fresh machine.
test: deps vet unit integration-amqp091 compat

# deps: what the tests need beyond Go: Debian's Chromium for the headless
# browser tests, and the other-language AMQP clients of the compatibility
# check (both skip without them, so a failed install is not fatal).
COMPAT_PKGS = python3-amqp python3-kombu python3-pika ruby-bunny php-cli php-amqplib amqp-tools default-jdk-headless librabbitmq-client-java python3-aio-pika python3-celery
deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || \
	  echo "warning: chromium not installed; browser tests will skip"; }
	@dpkg -s $(COMPAT_PKGS) >/dev/null 2>&1 || { \
	  echo "installing the client libraries of the compatibility check"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(COMPAT_PKGS)) >/dev/null 2>&1 || \
	  echo "warning: some compatibility clients not installed; their checks will skip"; }
	@command -v npm >/dev/null 2>&1 && { npm ci --prefix test/ui --no-audit --no-fund >/dev/null 2>&1 || \
	  echo "warning: playwright-core not installed; browser tests will skip"; } || true

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 20m ./...
	# The panic-isolation test needs a build-tagged seam that makes one
	# method panic (internal/amqp091/panichook_on.go).
	$(GO) test -race -count=1 -tags warren_panic_hook -run 'TestPanic' ./test/e2e/

# The public integration tests of the amqp091-go client, run from the
# module cache against a Warren started by the script.
integration-amqp091:
	./scripts/amqp091-integration.sh

# compat: py-amqp, kombu, aio-pika, pika, Celery, Bunny (Ruby), php-amqplib, rabbitmq-c's
# amqp-tools, the RabbitMQ Java client, and amqplib and amqp-client.js
# (Node) against Warren, each compared with its output recorded
# against RabbitMQ 3.10 (test/compat/golden); then the management API
# driven by RabbitMQ's rabbitmqadmin (compat-mgmt).
compat:
	./scripts/compat.sh
	$(MAKE) --no-print-directory compat-mgmt

# compat-mgmt: rabbitmqadmin against Warren's management API, compared
# with its output recorded against RabbitMQ 3.10 (test/compat/mgmt; skips
# without python3 or pika).
compat-mgmt:
	./test/compat/mgmt/run.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fuzz: run each fuzz target for FUZZTIME (CI runs only the seeds, via unit).
FUZZTIME ?= 30s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# compare: Warren against RabbitMQ, same machine, same load tool; writes
# docs/BENCHMARKS.md (installs rabbitmq-server if missing).
compare:
	./bench/compare.sh
