GO ?= go

.PHONY: test vet fmt run bench interop

# test checks formatting, vets, then runs every test with the race detector. Tests that need
# PostgreSQL start their own throwaway cluster (internal/pgtest) or use TEST_DATABASE_URL.
test: fmt vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

# fmt fails if any Go file is not gofmt-formatted, and lists them.
fmt:
	@out="$$(gofmt -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$out"; exit 1; fi

# run starts examples/basic (in-memory store unless DATABASE_URL is set) on $$PORT (default 8080).
run:
	$(GO) run ./examples/basic

# bench prints session-resolution and password-hash benchmarks (in process, real PostgreSQL).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 .

# interop runs Better Auth 1.7.25's own JavaScript clients (vanilla in Node, React in headless
# Chromium at /usr/bin/chromium) against examples/basic, and the same scripts against a real Better
# Auth server (interop/README.md). Needs Node 20+, npm and chromium.
interop:
	cd interop && npm ci --no-audit --no-fund && GO="$(GO)" node --test test/
