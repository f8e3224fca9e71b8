# Warren's build and test entry points. `make test` is what CI runs.
GO ?= go

.PHONY: all build run test vet unit integration-amqp091 bench fuzz

all: build

build:
	$(GO) build -o bin/warren ./cmd/warren

run:
	$(GO) run ./cmd/warren server

# test: everything CI checks, from a fresh machine.
test: vet unit integration-amqp091

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

# The public integration tests of the amqp091-go client, run from the
# module cache against a Warren started by the script.
integration-amqp091:
	./scripts/amqp091-integration.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fuzz: run each fuzz target for FUZZTIME (CI runs only the seeds, via unit).
FUZZTIME ?= 30s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)
