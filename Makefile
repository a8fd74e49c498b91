# The interface to the project. `make run` starts the system; `make test` runs every test.
SHELL := bash
CARGO ?= cargo

.PHONY: run build test test-rust lint fmt bench docker helm-check clean

build:
	$(CARGO) build --workspace --bins

run: build
	scripts/run.sh

# Every test: Rust unit, integration and e2e tests, then the Helm chart check.
test: test-rust
	HELM_CHECK_REQUIRED=1 scripts/helm-check.sh

test-rust: build
	$(CARGO) test --workspace

bench:
	$(CARGO) bench -p envelope

docker:
	scripts/docker-build.sh

helm-check:
	scripts/helm-check.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
