#!/usr/bin/env bash
# Directory logins: builds users-mgmt and loadgen in release, starts a private slapd (the layout
# of kit::testing::slapd: a slapd.conf in a temp folder, mdb, memberof, one user) and users-mgmt
# alone (WORKERS=1, SQLite) on free loopback ports, then runs loadgen's directory-login scenario
# (`user/authenticate` in an ldap module: a service bind, a search and a user bind on a fresh
# connection each) for each transport. The table's CPU µs/req is users-mgmt's; slapd's own CPU
# time per login is printed under it, and, for comparison, slapd's bare bind rate with
# `ldapwhoami` in a loop (one process per bind, so it counts the tool's start too).
# The `broker` transport runs the same logins through a module in `mode: broker` and the release
# `broker` binary (crates/broker, BROKER_WORKERS=BENCH_CONCURRENCY) relaying to slapd over plain
# LDAP: users-mgmt queues each login for the broker's long poll, the broker binds and searches;
# the broker's CPU time per login is printed too.
# Needs slapd and ldap-utils (scripts/install-test-deps.sh). Stops everything on any exit.
#
#   scripts/bench-ldap.sh
#   BENCH_SECONDS=20 BENCH_CONCURRENCY=4 BENCH_TRANSPORTS="ldap ldaps broker" scripts/bench-ldap.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/service.sh

SECONDS_EACH=${BENCH_SECONDS:-20}
CONCURRENCY=${BENCH_CONCURRENCY:-4}
TRANSPORTS=${BENCH_TRANSPORTS:-ldap ldaps broker}
WHOAMI_BINDS=${BENCH_WHOAMI_BINDS:-500}
for tool in slapd slapadd ldapwhoami openssl; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "bench-ldap: $tool is missing (scripts/install-test-deps.sh)" >&2; exit 2; }
done
export PATH="$PATH:/usr/sbin"

SLAPD_DIR=$(mktemp -d)
SLAPD_PID=
BROKER_PID=
cleanup_ldap() {
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
  [ -n "$SLAPD_PID" ] && kill "$SLAPD_PID" 2>/dev/null && wait "$SLAPD_PID" 2>/dev/null
  rm -rf "$SLAPD_DIR"
  stop_service 2>/dev/null || true
}
trap cleanup_ldap EXIT

BASE=dc=example,dc=test
SVC_PW="svc-bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
USER_PW="Alice-bench-1"
LDAP_PORT=$(free_port)
LDAPS_PORT=$(free_port)
(
  cd "$SLAPD_DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -subj /CN=bench-ca -days 1 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile ext 2>/dev/null
  mkdir db
  cat >slapd.conf <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile $SLAPD_DIR/slapd.pid
TLSCertificateFile $SLAPD_DIR/server.pem
TLSCertificateKeyFile $SLAPD_DIR/server.key
database mdb
maxsize 104857600
suffix "$BASE"
rootdn "cn=admin,$BASE"
rootpw admin-bench
directory $SLAPD_DIR/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
overlay memberof
CONF
  cat >people.ldif <<LDIF
dn: $BASE
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,$BASE
objectClass: organizationalUnit
ou: people

dn: cn=svc,$BASE
objectClass: person
cn: svc
sn: svc
userPassword: $SVC_PW

dn: uid=alice,ou=people,$BASE
objectClass: inetOrgPerson
uid: alice
cn: Alice Liddell
sn: Liddell
givenName: Alice
mail: alice@example.test
userPassword: $USER_PW
LDIF
  slapadd -q -f slapd.conf -l people.ldif
)
slapd -f "$SLAPD_DIR/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/ ldaps://127.0.0.1:$LDAPS_PORT/" -d 0 2>"$SLAPD_DIR/slapd.log" &
SLAPD_PID=$!
for _ in $(seq 1 100); do
  ldapwhoami -x -H "ldap://127.0.0.1:$LDAP_PORT" >/dev/null 2>&1 && break
  sleep 0.05
done

# CPU seconds (user + system) of a process.
cpu_of() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"
}

build_release users-mgmt broker blockid-call
echo "# Directory logins: users-mgmt (release, WORKERS=1) and slapd $(slapd -VV 2>&1 | grep -o 'slapd [0-9.]*' | head -1) on loopback, $(nproc) CPUs shared with loadgen, $(date -u +%FT%TZ)"
CA_JSON=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$SLAPD_DIR/ca.pem")
for transport in $TRANSPORTS; do
  case $transport in
    ldap) protocol=ldap; port=$LDAP_PORT; tls='' ;;
    ldaps) protocol=ldaps; port=$LDAPS_PORT; tls=", \"caCertificate\": $CA_JSON" ;;
    starttls) protocol=ldap; port=$LDAP_PORT; tls=", \"starttls\": true, \"caCertificate\": $CA_JSON" ;;
    broker) protocol=ldap; port=$LDAP_PORT; tls='' ;;
    *) echo "bench-ldap: unknown transport $transport (ldap, ldaps, starttls, broker)" >&2; exit 2 ;;
  esac
  config="{\"serverprotocol\": \"$protocol\", \"server\": \"127.0.0.1\", \"serverport\": \"$port\",
    \"binddn\": \"cn=svc,$BASE\", \"bindpassword\": \"$SVC_PW\", \"basedn\": \"$BASE\",
    \"securityauthentication\": \"Simple\", \"filter\": \"uid\", \"serviceacctreadonly\": true$tls}"
  start_service users-mgmt BROKER_POLL_SECONDS=25
  LOADGEN_DIRECTORY_MODULE=
  label="users-mgmt, ldap module over $transport"
  if [ "$transport" = broker ]; then
    community=/tenant/000000000000000000000000/community/000000000000000000000001
    um="http://127.0.0.1:$SERVICE_PORT$community"
    created=$("$TARGET/release/blockid-call" --license "$SERVICE_LICENSE" PUT "$um/module/create" \
      "{\"type\": \"ldap\", \"name\": \"bench broker\", \"mode\": \"broker\", \"config\": $config}")
    LOADGEN_DIRECTORY_MODULE=$(printf '%s\n' "$created" | tail -n +2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["_id"])')
    BROKER_URL="http://127.0.0.1:$SERVICE_PORT" BROKER_KEY="$SERVICE_LICENSE" BROKER_TENANT_ID=000000000000000000000000 \
      BROKER_COMMUNITY_ID=000000000000000000000001 BROKER_MODULE_ID="$LOADGEN_DIRECTORY_MODULE" BROKER_NAME=bench \
      BROKER_WORKERS="$CONCURRENCY" RUST_LOG=warn "$TARGET/release/broker" 2>"$SLAPD_DIR/broker.log" &
    BROKER_PID=$!
    for _ in $(seq 1 100); do
      "$TARGET/release/blockid-call" --license "$SERVICE_LICENSE" POST "$um/user/authenticate" \
        "{\"authModule\": \"$LOADGEN_DIRECTORY_MODULE\", \"username\": \"alice\", \"password\": \"$USER_PW\"}" >/dev/null 2>&1 && break
      sleep 0.1
    done
    label="users-mgmt, ldap module through the broker (plain LDAP)"
    broker_before=$(cpu_of "$BROKER_PID")
  fi
  if [ -n "$LOADGEN_DIRECTORY_MODULE" ]; then export LOADGEN_DIRECTORY_MODULE; else unset LOADGEN_DIRECTORY_MODULE; fi
  out="$SLAPD_DIR/loadgen-$transport.md"
  before=$(cpu_of "$SLAPD_PID")
  echo
  LOADGEN_DIRECTORY_CONFIG="$config" LOADGEN_PASSWORD="$USER_PW" \
    "$LOADGEN" --url "http://127.0.0.1:$SERVICE_PORT" --pid "$SERVICE_PID" --license "$SERVICE_LICENSE" \
    --tenant-id 000000000000000000000000 --community-id 000000000000000000000001 \
    --duration "$SECONDS_EACH" --concurrency "$CONCURRENCY" --label "$label" \
    --username alice --scenario directory-login | tee "$out"
  after=$(cpu_of "$SLAPD_PID")
  logins=$(awk -F'|' '/\(directory\)/ { gsub(/ /, "", $3); print $3 }' "$out")
  echo
  python3 - "$transport" "$before" "$after" "${logins:-0}" <<'PY'
import sys
transport, before, after, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4] or 0)
print(f"slapd CPU over {transport}: {(after - before) * 1e6 / max(n, 1):.0f} µs per login "
      f"({n} logins: a service bind, a search and a user bind each)")
PY
  if [ -n "$BROKER_PID" ]; then
    python3 - "$broker_before" "$(cpu_of "$BROKER_PID")" "${logins:-0}" <<'PY'
import sys
before, after, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3] or 0)
print(f"broker CPU: {(after - before) * 1e6 / max(n, 1):.0f} µs per login")
PY
    kill "$BROKER_PID" 2>/dev/null; wait "$BROKER_PID" 2>/dev/null || true
    BROKER_PID=
  fi
  stop_service
done

echo
start=$(date +%s.%N)
before=$(cpu_of "$SLAPD_PID")
for _ in $(seq 1 "$WHOAMI_BINDS"); do
  ldapwhoami -x -H "ldap://127.0.0.1:$LDAP_PORT" -D "uid=alice,ou=people,$BASE" -w "$USER_PW" >/dev/null
done
end=$(date +%s.%N)
after=$(cpu_of "$SLAPD_PID")
python3 - "$start" "$end" "$before" "$after" "$WHOAMI_BINDS" <<'PY'
import sys
start, end, before, after, n = map(float, sys.argv[1:])
print(f"ldapwhoami loop (plain LDAP, one process and connection per bind, sequential): {n / (end - start):.0f} binds/s, "
      f"{(end - start) * 1e3 / n:.2f} ms each; slapd CPU {(after - before) * 1e6 / n:.0f} µs per bind")
PY
