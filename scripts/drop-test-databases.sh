#!/usr/bin/env bash
# The last step of `make test`: drops the PostgreSQL databases the run's tests made
# (`t_<epoch>_<TEST_RUN_ID>_<random>`, see kit::testing), also when tests failed. Quiet when
# PostgreSQL or psql is not there (the tests then made none).
#
#   scripts/drop-test-databases.sh RUN_ID
set -uo pipefail
run=${1:?the TEST_RUN_ID of the run}
url=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
command -v psql >/dev/null 2>&1 || exit 0
names=$(psql "$url" -Atc "SELECT datname FROM pg_database WHERE datname ~ '^t_[0-9]+_${run}_[0-9a-f]+$'" 2>/dev/null) || exit 0
count=0
for name in $names; do
  psql "$url" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 && count=$((count + 1))
done
echo "dropped $count test databases of run $run"
