# The interface to the project. `make run` starts the system; `make test` runs every test.
SHELL := bash
CARGO ?= cargo

.PHONY: run build test test-rust lint fmt bench soak docker docker-test helm-check clean openapi openapi-check mutants mutants-all

build:
	$(CARGO) build --workspace --bins

run: build
	scripts/run.sh

# Every test: Rust unit, integration and e2e tests, then the Helm chart check.
test: test-rust
	HELM_CHECK_REQUIRED=1 scripts/helm-check.sh

# Each run names its PostgreSQL test databases with TEST_RUN_ID and drops them at the end, also
# when a test failed (kit::testing drops older leftovers of crashed runs), and lists what was
# skipped (cargo hides what a passing test printed).
test-rust: build
	@run=r$$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n'); export TEST_RUN_ID=$$run; \
	skips=$$(mktemp); export TEST_SKIP_LOG=$$skips; \
	$(CARGO) test --workspace; status=$$?; \
	scripts/drop-test-databases.sh $$run; \
	if [ -s "$$skips" ]; then echo "skipped ($$(sort -u "$$skips" | wc -l) reasons):"; sort "$$skips" | uniq -c; \
	else echo "no test was skipped"; fi; rm -f "$$skips"; exit $$status

# Criterion benchmarks of the wire crypto and of argon2id, then loadgen against release builds of
# sessions (SQLite, then Redis), users-mgmt (logins and user creates) and adminapi (admin logins,
# a users fetch through adminapi and directly): Markdown tables of
# req/s, latency, CPU time per request and RSS.
bench:
	$(CARGO) bench -p envelope
	$(CARGO) bench -p users-mgmt
	scripts/bench.sh
	scripts/bench-users.sh
	scripts/bench-admin.sh

# A 10-minute soak of sessions that samples its RSS (SOAK_SECONDS, SOAK_RSS_EVERY, SOAK_SCENARIO).
soak:
	scripts/soak.sh

# Mutation testing (not part of `make test`): cargo-mutants mutates the code .cargo/mutants.toml
# examines (all of envelope; kit's replay window, licenses and their cache, levels, ephemeral
# stores and clock) one change at a time and runs the mutated package's own tests; a survivor is
# a gap, or accepted in mutants/accepted.md. Results in mutants.out/. `make mutants-all` examines
# every module of MUTANTS_PACKAGES (kit alone: 943 mutants, hours on 2 cores; shard it with
# MUTANTS_ARGS="--shard 1/4" and so on).
MUTANTS_PACKAGES ?= envelope kit
MUTANTS_ARGS ?=
# Every mutant's tests name their PostgreSQL databases with one TEST_RUN_ID, dropped at the end.
MUTANTS_RUN = run=m$$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n'); export TEST_RUN_ID=$$run; \
	$(CARGO) mutants --no-shuffle $(1) $(MUTANTS_ARGS); status=$$?; \
	scripts/drop-test-databases.sh $$run; exit $$status

mutants:
	@command -v cargo-mutants >/dev/null || $(CARGO) install cargo-mutants --locked
	@$(call MUTANTS_RUN,$(foreach p,$(MUTANTS_PACKAGES),--package $(p)))

mutants-all:
	@command -v cargo-mutants >/dev/null || $(CARGO) install cargo-mutants --locked
	@$(call MUTANTS_RUN,$(foreach p,$(MUTANTS_PACKAGES),--package $(p) --file 'crates/$(p)/src/**'))

# One image per service from deploy/Dockerfile, named as the chart names them (blockid/<service>,
# tagged with the commit and the chart's appVersion). With a Docker engine BuildKit compiles them;
# without one (these machines) podman packs a build made here in the `docker` cargo profile (release
# at opt-level "s" with the hot crates at 3, no LTO: see Cargo.toml) on an offline Debian base
# (scripts/docker-base.sh), installing podman first if it can (scripts/docker-install.sh).
# Measured here (2 cores shared, -j 1): images users-mgmt 25.8 MB, adminapi 37.3 MB, sessions
# 20.8 MB; the cargo build from cold 19 min, 6.5 min after a commit (kit bakes the version: kit
# and the three service crates again), the images alone 9 to 20 s.
docker:
	scripts/docker-build.sh

# The images as containers on the host's PostgreSQL and Redis, driven end to end by
# tests-e2e/tests/containers.rs (not in `make test`: it needs the `docker`-profile build of
# `make docker`). Run by .ci/run (fails without podman, PostgreSQL or Redis, or above 40 MB).
docker-test: docker
	scripts/docker-test.sh

helm-check:
	scripts/helm-check.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean

# The OpenAPI documents, generated from the code by each binary's `openapi` subcommand.
SERVICES := users-mgmt adminapi sessions
BIN_DIR ?= $(or $(CARGO_TARGET_DIR),target)/debug

openapi: build
	@for s in $(SERVICES); do \
		$(BIN_DIR)/$$s openapi > proto-docs/$$s.json.tmp && mv proto-docs/$$s.json.tmp proto-docs/$$s.json || exit 1; \
		echo "proto-docs/$$s.json"; \
	done

# Fails when a committed document differs from what the code generates.
openapi-check: build
	@for s in $(SERVICES); do \
		$(BIN_DIR)/$$s openapi | cmp -s - proto-docs/$$s.json || { echo "proto-docs/$$s.json is stale: run make openapi"; exit 1; }; \
	done; echo "OpenAPI documents are up to date"
