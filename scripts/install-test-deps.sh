#!/usr/bin/env bash
# Installs the Debian packages the tests need that the machine image lacks: OpenLDAP's server and
# tools (slapd, slapadd, ldapadd, ldapwhoami) for the directory tests of users-mgmt, which start a
# real slapd per test (kit::testing::slapd); OneLogin's python3-saml (the independent SAML service
# provider of adminapi's tests/peers/saml_sp.py, run by /usr/bin/python3) and xmlsec1 (which
# verifies the IdP's signed responses); MIT Kerberos's KDC, admin and client tools with Python's
# gssapi (Debian's python3) and curl for the Kerberos tests, which start a real KDC per test
# (kit::testing::kdc) and sign in with `kinit`, `gssapi` and `curl --negotiate`; micromdm's SCEP
# server (Debian's scep) and the openssl CLI for the SCEP tests (kit::testing::scep). `.ci/run`
# calls it before `make test`; it fails, so CI fails, when the packages cannot be installed.
# Nothing is done when they are already there.
set -euo pipefail

packages=(slapd ldap-utils python3-onelogin-saml2 xmlsec1 krb5-kdc krb5-admin-server krb5-user python3-gssapi curl
  scep openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies present: ${packages[*]}"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "installing ${missing[*]}…"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# No daemon is started by the package (policy-rc.d, if any, says no; the tests start their own).
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
for tool in /usr/sbin/slapd /usr/sbin/slapadd /usr/bin/ldapadd /usr/bin/ldapwhoami /usr/bin/xmlsec1 \
  /usr/sbin/krb5kdc /usr/sbin/kdb5_util /usr/sbin/kadmin.local /usr/bin/kinit /usr/bin/curl \
  /usr/bin/scepserver /usr/bin/openssl; do
  [ -x "$tool" ] || { echo "install-test-deps: $tool is missing after the install" >&2; exit 1; }
done
/usr/bin/python3 -c 'import onelogin.saml2.auth' \
  || { echo "install-test-deps: python3-saml (onelogin.saml2) does not import" >&2; exit 1; }
/usr/bin/python3 -c 'import gssapi' || { echo "install-test-deps: python3-gssapi does not import" >&2; exit 1; }
echo "installed ${missing[*]}"
