GO ?= go

.PHONY: test vet fmt run bench interop routers

# test checks formatting, vets, then runs every test with the race detector. Tests that need
# PostgreSQL start their own throwaway cluster (internal/pgtest) or use TEST_DATABASE_URL.
# README.md's Go blocks and the package doc's program are compiled by readme_test.go.
test: fmt vet routers
	$(GO) test -race -count=1 ./...

# routers vets and tests examples/routers (net/http, chi, echo, gin), a module of its own so
# that the library does not depend on routers; it uses this checkout through a replace line.
routers:
	cd examples/routers && $(GO) vet ./... && $(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

# fmt fails if any Go file is not gofmt-formatted, and lists them.
fmt:
	@out="$$(gofmt -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$out"; exit 1; fi

# run starts examples/basic (in-memory store unless DATABASE_URL is set) on $$PORT (default 8080).
run:
	$(GO) run ./examples/basic

# bench prints session-resolution and password-hash benchmarks (in process, real PostgreSQL), and
# jwtverify's token verification per algorithm and through its middleware, and the jwt plugin's
# /token, get-session with set-auth-jwt and signing.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 . ./argon2id ./jwtverify ./plugins/jwt

# interop runs Better Auth 1.7.25's own JavaScript clients (vanilla in Node, React in headless
# Chromium at /usr/bin/chromium) against examples/basic, and the same scripts against a real Better
# Auth server (interop/README.md). Needs Node 20+, npm and chromium.
interop:
	cd interop && npm ci --no-audit --no-fund && GO="$(GO)" node --test test/
