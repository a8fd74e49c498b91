# The interface to the project. `make run` starts the system; `make test` runs every test.
SHELL := bash
CARGO ?= cargo

.PHONY: run build test lint fmt openapi-check clean

build:
	$(CARGO) build --workspace --bins

run: build
	scripts/run.sh

test: build
	$(CARGO) test --workspace

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
