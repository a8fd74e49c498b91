#!/usr/bin/env bash
# A soak run: sessions (release, WORKERS=1) on loopback under one loadgen scenario for 10 minutes,
# sampling the service's RSS every 30 s, to see whether memory settles (the replay cache and the
# sessions expire) or keeps growing. Prints the loadgen table and the RSS samples; stops the
# service on any exit. loadgen finds the service's pid from its listening port.
#
#   scripts/soak.sh                                   # 600 s of PUT /session/new on SQLite
#   SOAK_SECONDS=30 SOAK_RSS_EVERY=5 scripts/soak.sh  # a short check of the script itself
#   SOAK_SCENARIO=session-poll SOAK_STORE=redis SOAK_CONCURRENCY=16 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh

DURATION=${SOAK_SECONDS:-600}
EVERY=${SOAK_RSS_EVERY:-30}
SCENARIO=${SOAK_SCENARIO:-session-new}
STORE=${SOAK_STORE:-sqlite}
extra=()
case $STORE in
  sqlite) ;;
  redis) extra=(REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" REDIS_PREFIX="soak:$$:$RANDOM:") ;;
  *) echo "soak: SOAK_STORE is sqlite or redis" >&2; exit 2 ;;
esac

build_release
start_sessions "${extra[@]}"
echo "# Soak: sessions (release, WORKERS=1, $STORE) under $SCENARIO for $DURATION s, $(date -u +%FT%TZ)"
echo
"$LOADGEN" --url "http://127.0.0.1:$SERVICE_PORT" --license "$SERVICE_LICENSE" \
  --scenario "$SCENARIO" --duration "$DURATION" --concurrency "${SOAK_CONCURRENCY:-16}" --rss-every "$EVERY"
