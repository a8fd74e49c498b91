#!/usr/bin/env bash
# Checks the Helm chart helm/blockid without a cluster:
#   - renders it with real Helm: the Helm v4 Go SDK shipped as libhelm_c in the PyPI package
#     helm-python-sdk (no helm binary needed), with the chart defaults, with
#     helm/blockid/ci/*-values.yaml (all-on-values.yaml turns every option on;
#     servicemonitor-values.yaml the chart defaults with the Prometheus Operator ServiceMonitors),
#     and refuses the values under helm/tools/expect-fail/;
#   - `helm lint --strict` equivalent and values.schema.json for each of them;
#   - every rendered object against the Kubernetes OpenAPI schemas (kubernetes-validate, strict)
#     for Kubernetes 1.25 (the chart's minimum) and the newest the validator ships;
#   - the chart's wiring (selectors, ports, probes, security context, secrets, checksums), and
#     that each ServiceMonitor scrapes GET /metrics (what the services serve) on the http port.
# Installs its tools into a venv under ${HELM_CHECK_CACHE:-~/.cache/blockid-helm-check} once.
# Exits 1 when the chart is invalid. When the tools cannot be installed it says SKIPPED and exits
# 0, or 1 if HELM_CHECK_REQUIRED=1 (set it in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_PYTHON_SDK_VERSION=0.2.2
KUBERNETES_VALIDATE_VERSION=1.37.0
CACHE=${HELM_CHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/blockid-helm-check}
VENV=$CACHE/venv
STAMP=$VENV/.installed-$HELM_PYTHON_SDK_VERSION-$KUBERNETES_VALIDATE_VERSION
CHART=${HELM_CHECK_CHART:-helm/blockid}

skip() {
  echo "helm-check: SKIPPED: $*" >&2
  echo "helm-check: the chart was NOT checked." >&2
  if [ "${HELM_CHECK_REQUIRED:-0}" = 1 ]; then exit 1; fi
  exit 0
}

PYTHON=${PYTHON:-$(command -v python3 || true)}
[ -n "$PYTHON" ] || skip "python3 not found (needed for helm-python-sdk and kubernetes-validate)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || skip "$("$PYTHON" --version 2>&1) is older than the 3.10 helm-python-sdk needs"

if [ ! -f "$STAMP" ] || ! "$VENV/bin/python" -c 'import helm_python, kubernetes_validate' 2>/dev/null; then
  echo "helm-check: installing helm-python-sdk==$HELM_PYTHON_SDK_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION into $VENV"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  "$PYTHON" -m venv "$VENV" || skip "cannot create a venv (python3-venv missing?)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "helm-python-sdk==$HELM_PYTHON_SDK_VERSION" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
    || skip "pip could not install helm-python-sdk (a wheel with libhelm_c for $(uname -sm)) and kubernetes-validate"
  # Loading the native library is the real test that a Helm renderer is available here.
  "$VENV/bin/python" -c 'import helm_python as h; h.helm_sdk_version()' \
    || skip "helm-python-sdk installed but its libhelm_c does not load on this machine"
  touch "$STAMP"
fi

args=("$CHART")
for f in "$CHART"/ci/*-values.yaml; do args+=(--values "$f"); done
for f in helm/tools/expect-fail/*.yaml; do args+=(--expect-fail "$f"); done
exec "$VENV/bin/python" helm/tools/check_chart.py "${args[@]}"
