#!/usr/bin/env python3
"""Renders the BlockID chart with real Helm (the Helm v4 Go SDK shipped by the PyPI package
helm-python-sdk) and checks the output. Run by scripts/helm-check.sh, which installs the tools.

For each values scenario: `helm lint --strict` equivalent, values.schema.json, render, every
object against the Kubernetes OpenAPI schemas (kubernetes-validate, strict: unknown fields fail)
for the oldest and newest Kubernetes versions we support, and the chart's own wiring rules
(selectors, ports, probes, security context, secret files, SERVICE_DIRECTORY, checksums). Then
values that must be refused are rendered and must fail with the expected message.

Exit status: 0 when every check passed, 1 otherwise. Prints `N passed, N failed` last.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import helm_python as helm
import kubernetes_validate
import yaml

RELEASE = "blockid-ci"
NAMESPACE = "identity"
SERVICES = {"usersMgmt": "users-mgmt", "adminapi": "adminapi", "sessions": "sessions"}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SECRETS_DIR = "/run/secrets/blockid"
# What every service serves for Prometheus (crates/kit/src/metrics.rs), on its `http` port.
METRICS_PATH = "/metrics"
# The chart's fullname for RELEASE (a release name containing the chart name is used as is).
FULLNAME = RELEASE if "blockid" in RELEASE else f"{RELEASE}-blockid"

# kubernetes-validate knows only built-in kinds; the Prometheus Operator CRD gets the part of its
# schema this chart uses, closed to unknown fields like the strict built-in schemas.
SERVICE_MONITOR_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["selector", "endpoints"],
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}},
                },
                "namespaceSelector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}},
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "interval": {"type": "string", "pattern": "^([0-9]+(ms|s|m|h))+$"},
                            "scrapeTimeout": {"type": "string", "pattern": "^([0-9]+(ms|s|m|h))+$"},
                            "scheme": {"enum": ["http", "https"]},
                        },
                    },
                },
            },
        },
    },
}


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, what: str) -> None:
        self.passed += 1
        print(f"  ok    {what}")

    def fail(self, what: str, why: str) -> None:
        self.failed += 1
        print(f"  FAIL  {what}: {why}")

    def check(self, what: str, problems: list[str]) -> None:
        if problems:
            self.fail(what, "; ".join(problems[:8]) + (f" (+{len(problems) - 8} more)" if len(problems) > 8 else ""))
        else:
            self.ok(what)


def load_values(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    return helm.values_from_yaml(path.read_text())


def render(chart_dir: Path, values: dict[str, Any]) -> dict[str, str]:
    with helm.Chart.load(str(chart_dir)) as chart:
        chart.validate_schema(values)
        return chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)


def objects_of(rendered: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for template, text in sorted(rendered.items()):
        if template.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                out.append((template, doc))
    return out


def subset(small: dict[str, str], big: dict[str, str]) -> bool:
    return all(big.get(k) == v for k, v in small.items())


def pod_security(where: str, pod: dict[str, Any]) -> list[str]:
    p: list[str] = []
    psc = pod.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True:
        p.append(f"{where}: pod runAsNonRoot is not true")
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        sc = c.get("securityContext") or {}
        n = f"{where}/{c['name']}"
        if sc.get("readOnlyRootFilesystem") is not True:
            p.append(f"{n}: readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            p.append(f"{n}: allowPrivilegeEscalation is not false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            p.append(f"{n}: capabilities do not drop ALL")
        seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
        if seccomp != "RuntimeDefault":
            p.append(f"{n}: seccompProfile is {seccomp!r}, not RuntimeDefault")
        if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
            p.append(f"{n}: runAsNonRoot missing")
    return p


def check_scenario(rep: Report, chart_dir: Path, label: str, values_file: Path | None, kube_versions: list[str]) -> dict[str, str] | None:
    print(f"\n== scenario {label}: values {values_file or '(chart defaults)'}")
    values = load_values(values_file)

    lint = helm.lint(str(chart_dir), values, strict=True, namespace=NAMESPACE)
    problems = [f"[{m['severity']}] {m['path']}: {m['error']}" for m in lint.get("messages", []) if m.get("severity", 0) >= 2]
    problems += list(lint.get("errors") or [])
    info = [m["error"] for m in lint.get("messages", []) if m.get("severity", 0) < 2]
    rep.check(f"helm lint --strict ({lint.get('total_charts_linted')} chart){' info: ' + '; '.join(info) if info else ''}", problems)

    try:
        rendered = render(chart_dir, values)
    except helm.HelmError as e:
        rep.fail("values.schema.json + render", str(e))
        return None
    objs = objects_of(rendered)
    kinds: dict[str, int] = {}
    for _, o in objs:
        kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
    rep.ok("values.schema.json accepts the values; rendered " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    notes = next((t for n, t in rendered.items() if n.endswith("NOTES.txt")), "")
    rep.check("NOTES.txt renders", [] if notes.strip() else ["empty"])

    # Kubernetes schemas (strict: unknown fields are errors), every object, every version.
    for kv in kube_versions:
        problems = []
        for template, o in objs:
            if o["kind"] == "ServiceMonitor":
                import jsonschema

                errs = sorted(jsonschema.Draft202012Validator(SERVICE_MONITOR_SCHEMA).iter_errors(o), key=str)
                problems += [f"{template} {o['metadata']['name']}: {'.'.join(map(str, e.path))}: {e.message}" for e in errs]
                continue
            try:
                kubernetes_validate.validate(o, kv, strict=True)
            except kubernetes_validate.ValidationError as e:
                problems.append(f"{template} {o['kind']}/{o['metadata'].get('name')}: {'.'.join(map(str, e.path))}: {e.message}")
            except kubernetes_validate.SchemaNotFoundError as e:
                problems.append(f"{template}: {e.message}")
        rep.check(f"{len(objs)} objects valid against Kubernetes {kv} schemas (strict)", problems)

    by_kind: dict[str, list[dict[str, Any]]] = {}
    for _, o in objs:
        by_kind.setdefault(o["kind"], []).append(o)
    deployments = by_kind.get("Deployment", [])
    services = by_kind.get("Service", [])
    configmaps = {o["metadata"]["name"]: o for o in by_kind.get("ConfigMap", [])}
    secrets = {o["metadata"]["name"]: o for o in by_kind.get("Secret", [])}
    pvcs = {o["metadata"]["name"] for o in by_kind.get("PersistentVolumeClaim", [])}
    with helm.Chart.load(str(chart_dir)) as chart:
        g = chart.merge_values(values)
    enabled = [name for key, name in SERVICES.items() if g[key]["enabled"]]

    # Names and namespaces.
    problems = []
    seen = set()
    for _, o in objs:
        md = o["metadata"]
        n = md["name"]
        if not DNS1123.match(n) or len(n) > 63:
            problems.append(f"{o['kind']}/{n}: not a DNS-1123 name of at most 63 characters")
        if md.get("namespace") != NAMESPACE:
            problems.append(f"{o['kind']}/{n}: namespace {md.get('namespace')!r}")
        if (o["kind"], n) in seen:
            problems.append(f"{o['kind']}/{n}: rendered twice")
        seen.add((o["kind"], n))
    rep.check("object names are unique DNS-1123 names in the release namespace", problems)

    want = sorted(f"{FULLNAME}-{n}" for n in enabled)
    got = sorted(d["metadata"]["name"] for d in deployments)
    rep.check(f"one Deployment and one Service per enabled service ({', '.join(enabled)})",
              [] if got == want and sorted(s["metadata"]["name"] for s in services) == want else [f"deployments {got}, services {[s['metadata']['name'] for s in services]}, want {want}"])

    # Deployments: selectors, probes, security, volumes, secret files, checksums.
    problems = []
    for d in deployments:
        n = d["metadata"]["name"]
        tpl = d["spec"]["template"]
        pod = tpl["spec"]
        if not subset(d["spec"]["selector"]["matchLabels"], tpl["metadata"].get("labels", {})):
            problems.append(f"{n}: selector does not match the pod labels")
        ann = tpl["metadata"].get("annotations", {})
        for a in ("checksum/config", "checksum/secret"):
            if not re.fullmatch(r"[0-9a-f]{64}", str(ann.get(a, ""))):
                problems.append(f"{n}: pod annotation {a} missing")
        problems += pod_security(n, pod)
        vols = {v["name"]: v for v in pod.get("volumes", [])}
        c = pod["containers"][0]
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        env = {e["name"]: e for e in c.get("env", [])}
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            hg = (c.get(kind) or {}).get("httpGet") or {}
            if hg.get("path") != "/healthz":
                problems.append(f"{n}: {kind} does not GET /healthz")
            if hg.get("port") not in ports and hg.get("port") not in ports.values():
                problems.append(f"{n}: {kind} port {hg.get('port')!r} is not a container port")
        if str(ports.get("http")) != env.get("PORT", {}).get("value"):
            problems.append(f"{n}: PORT env {env.get('PORT')} differs from the container port {ports.get('http')}")
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
        for m in mounts.values():
            if m["name"] not in vols:
                problems.append(f"{n}: volumeMount {m['name']} has no volume")
        data = mounts.get("/data")
        if not data:
            problems.append(f"{n}: nothing mounted at DATA_DIR /data")
        else:
            v = vols.get(data["name"], {})
            if "emptyDir" not in v and "persistentVolumeClaim" not in v:
                problems.append(f"{n}: /data is neither an emptyDir nor a PVC")
            if "persistentVolumeClaim" in v:
                if v["persistentVolumeClaim"]["claimName"] not in pvcs:
                    problems.append(f"{n}: PVC {v['persistentVolumeClaim']['claimName']} is not rendered")
                if d["spec"].get("strategy", {}).get("type") != "Recreate":
                    problems.append(f"{n}: a ReadWriteOnce data volume needs the Recreate strategy")
        for ef in c.get("envFrom", []):
            if "configMapRef" in ef and ef["configMapRef"]["name"] not in configmaps:
                problems.append(f"{n}: envFrom ConfigMap {ef['configMapRef']['name']} is not rendered")
        # Each *_FILE points into the projected secrets volume, at an item that exists.
        items: dict[str, tuple[str, str]] = {}
        sm = mounts.get(SECRETS_DIR)
        if sm:
            for src in vols[sm["name"]].get("projected", {}).get("sources", []):
                s = src.get("secret")
                for it in (s or {}).get("items", []):
                    items[f"{SECRETS_DIR}/{it['path']}"] = (s["name"], it["key"])
        for name, e in env.items():
            if name.endswith("_FILE"):
                path = e.get("value", "")
                if path not in items:
                    problems.append(f"{n}: {name}={path} is not a mounted secret item")
                    continue
                sname, key = items[path]
                if sname in secrets:
                    if key not in (secrets[sname].get("data") or {}):
                        problems.append(f"{n}: {name} needs key {key} of chart Secret {sname}, which lacks it")
            elif name in ("DATABASE_URL", "REDIS_URL", "INFRA_LICENSE_KEY", "LICENSE_KEYS", "SERVICE_PRIVATE_KEY"):
                problems.append(f"{n}: secret {name} given as a plain env value")
        for path, (sname, _) in items.items():
            if sname not in secrets:
                print(f"        note: {n} mounts {os.path.basename(path)} from existing Secret {sname} (not part of the chart)")
    rep.check(f"{len(deployments)} Deployments: selectors, /healthz probes on named ports, securityContext, DATA_DIR volume, *_FILE secrets, checksum annotations", problems)

    # Services select exactly one Deployment and target a named container port of it.
    problems = []
    for s in services:
        sel = s["spec"].get("selector", {})
        hits = [d for d in deployments if subset(sel, d["spec"]["template"]["metadata"].get("labels", {}))]
        if len(hits) != 1:
            problems.append(f"{s['metadata']['name']}: selects {len(hits)} Deployments")
            continue
        cports = {p.get("name") for p in hits[0]["spec"]["template"]["spec"]["containers"][0].get("ports", [])}
        for p in s["spec"]["ports"]:
            if isinstance(p.get("targetPort"), str) and p["targetPort"] not in cports:
                problems.append(f"{s['metadata']['name']}: targetPort {p['targetPort']} is not a container port")
    rep.check(f"{len(services)} Services: each selects one Deployment, targetPort exists", problems)

    # SERVICE_DIRECTORY from the in-cluster Service names; licenses -> adminapi.
    problems = []
    svc_by_name = {s["metadata"]["name"]: s for s in services}
    cm = next(iter(configmaps.values()), None)
    if cm is None:
        problems.append("no ConfigMap")
    else:
        try:
            sd = json.loads(cm["data"]["SERVICE_DIRECTORY"])
        except (KeyError, ValueError) as e:
            sd = {}
            problems.append(f"SERVICE_DIRECTORY is not JSON: {e}")
        for name in ("users-mgmt", "adminapi", "sessions", "licenses"):
            if name not in sd:
                problems.append(f"SERVICE_DIRECTORY lacks {name}")
        if sd.get("licenses") != sd.get("adminapi") and "licenses" not in (g["global"].get("serviceDirectory") or {}):
            problems.append("licenses does not point at adminapi")
        for name in enabled:
            u = urlparse(sd.get(name, ""))
            host = (u.hostname or "").split(".")
            svc = svc_by_name.get(host[0])
            if svc is None or host[1:3] != [NAMESPACE, "svc"]:
                problems.append(f"{name}: {sd.get(name)} is not a rendered Service in {NAMESPACE}")
            elif u.port != svc["spec"]["ports"][0]["port"]:
                problems.append(f"{name}: {sd.get(name)} port differs from the Service port {svc['spec']['ports'][0]['port']}")
        for key in ("HOST", "DATA_DIR", "EC_CURVE_NAME", "ALLOWED_TIME_SPAN", "LOG_FORMAT", "REDIS_PREFIX"):
            if cm and key not in cm["data"]:
                problems.append(f"ConfigMap lacks {key}")
        for key in ("DATABASE_URL", "REDIS_URL", "INFRA_LICENSE_KEY", "LICENSE_KEYS", "SERVICE_PRIVATE_KEY"):
            if cm and key in cm["data"]:
                problems.append(f"secret {key} is in the ConfigMap")
    rep.check("ConfigMap: non-secret settings, SERVICE_DIRECTORY names the in-cluster Services, licenses -> adminapi", problems)

    # HPA, PDB, ServiceMonitor targets.
    problems = []
    dnames = {d["metadata"]["name"]: d for d in deployments}
    for h in by_kind.get("HorizontalPodAutoscaler", []):
        t = h["spec"]["scaleTargetRef"]
        if t["kind"] != "Deployment" or t["name"] not in dnames:
            problems.append(f"HPA {h['metadata']['name']}: target {t['name']} not rendered")
        elif "replicas" in dnames[t["name"]]["spec"]:
            problems.append(f"Deployment {t['name']} sets replicas although an HPA owns them")
        if not h["spec"].get("metrics"):
            problems.append(f"HPA {h['metadata']['name']}: no metrics")
    for p in by_kind.get("PodDisruptionBudget", []):
        sel = p["spec"]["selector"]["matchLabels"]
        if sum(1 for d in deployments if subset(sel, d["spec"]["template"]["metadata"]["labels"])) != 1:
            problems.append(f"PDB {p['metadata']['name']}: does not select exactly one Deployment")
    for m in by_kind.get("ServiceMonitor", []):
        sel = m["spec"]["selector"]["matchLabels"]
        hits = [s for s in services if subset(sel, s["metadata"].get("labels", {}))]
        if len(hits) != 1:
            problems.append(f"ServiceMonitor {m['metadata']['name']}: selects {len(hits)} Services")
        elif m["spec"]["endpoints"][0]["port"] not in {p["name"] for p in hits[0]["spec"]["ports"]}:
            problems.append(f"ServiceMonitor {m['metadata']['name']}: port not on the Service")
    counts = {k: len(by_kind.get(k, [])) for k in ("HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor")}
    rep.check(f"HPA / PDB / ServiceMonitor targets exist ({counts})", problems)

    # ServiceMonitors: one per enabled service when on, none when off; each scrapes the path the
    # services serve, on the Service's http port, with the configured interval and labels.
    problems = []
    monitors = by_kind.get("ServiceMonitor", [])
    sm = g["serviceMonitor"]
    if sm["enabled"]:
        got = sorted(m["metadata"]["name"] for m in monitors)
        if got != want:
            problems.append(f"ServiceMonitors {got}, want one per enabled service {want}")
    elif monitors:
        problems.append(f"{len(monitors)} ServiceMonitors rendered although serviceMonitor.enabled is false")
    for m in monitors:
        n = m["metadata"]["name"]
        for ep in m["spec"]["endpoints"]:
            if ep.get("path") != METRICS_PATH:
                problems.append(f"{n}: scrapes {ep.get('path')!r}, the services serve {METRICS_PATH}")
            if ep.get("port") != "http":
                problems.append(f"{n}: scrapes port {ep.get('port')!r}, not http")
            for key in ("interval", "scrapeTimeout"):
                if ep.get(key) != sm[key]:
                    problems.append(f"{n}: {key} {ep.get(key)!r}, values say {sm[key]!r}")
        if not subset({k: str(v) for k, v in (sm.get("labels") or {}).items()}, m["metadata"].get("labels", {})):
            problems.append(f"{n}: lacks the serviceMonitor.labels")
        if (m["spec"].get("namespaceSelector") or {}).get("matchNames") != [NAMESPACE]:
            problems.append(f"{n}: does not select the release namespace")
    rep.check(f"ServiceMonitors ({'on' if sm['enabled'] else 'off'}): one per enabled service, GET {METRICS_PATH} on the http port", problems)

    # Chart test pod.
    problems = []
    tests = [o for o in by_kind.get("Pod", []) if (o["metadata"].get("annotations") or {}).get("helm.sh/hook") == "test"]
    if g["tests"]["enabled"]:
        if len(tests) != 1:
            problems.append(f"{len(tests)} test pods")
        for t in tests:
            problems += pod_security(t["metadata"]["name"], t["spec"])
            script = " ".join(t["spec"]["containers"][0].get("args", []) + t["spec"]["containers"][0].get("command", []))
            for name in enabled:
                svc = f"{FULLNAME}-{name}"
                port = svc_by_name[svc]["spec"]["ports"][0]["port"]
                if f"http://{svc}.{NAMESPACE}.svc.cluster.local:{port}/healthz" not in script:
                    problems.append(f"test pod does not GET {name}'s /healthz")
    rep.check("chart test (helm.sh/hook: test) pod curls every enabled service's /healthz", problems)
    return rendered


def checksums(rendered: dict[str, str]) -> set[tuple[str, str]]:
    out = set()
    for _, o in objects_of(rendered):
        if o["kind"] == "Deployment":
            ann = o["spec"]["template"]["metadata"]["annotations"]
            out.add((ann["checksum/config"], ann["checksum/secret"]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("chart", type=Path)
    ap.add_argument("--values", type=Path, action="append", default=[], help="a scenario values file (repeatable)")
    ap.add_argument("--expect-fail", type=Path, action="append", default=[], help="values that must be refused; first line '# expect: <text>'")
    ap.add_argument("--kube-version", action="append", default=[])
    args = ap.parse_args()
    kube_versions = args.kube_version or ["1.25", kubernetes_validate.utils.latest_version()]

    print(f"renderer:  helm-python-sdk {helm.helm_c_version()} (libhelm_c, Helm Go SDK {helm.helm_sdk_version()})")
    print(f"validator: kubernetes-validate {kubernetes_validate.__version__ if hasattr(kubernetes_validate, '__version__') else ''}"
          f" (schemas {', '.join(kube_versions)}; strict)")
    with helm.Chart.load(str(args.chart)) as chart:
        print(f"chart:     {chart.name} {chart.version} (appVersion {chart.metadata.get('appVersion')}) at {args.chart}")

    rep = Report()
    scenarios: list[tuple[str, Path | None]] = [("defaults", None)] + [(p.stem, p) for p in args.values]
    rendered_default = None
    for label, path in scenarios:
        r = check_scenario(rep, args.chart, label, path, kube_versions)
        if label == "defaults":
            rendered_default = r

    print("\n== pods roll when settings or chart secrets change")
    if rendered_default is not None:
        base = checksums(rendered_default)
        cfg = checksums(render(args.chart, {"global": {"logLevel": "debug"}}))
        sec = checksums(render(args.chart, {"global": {"infraLicenseKey": {"value": "changed"}}}))
        cfg_ok = all(a[0] != b[0] and a[1] == b[1] for a in base for b in cfg)
        sec_ok = all(a[1] != b[1] for a in base for b in sec)
        rep.check("checksum/config changes with a setting, checksum/secret with a secret", [] if cfg_ok and sec_ok else [f"config {cfg_ok}, secret {sec_ok}"])

    print("\n== values the chart must refuse")
    for path in args.expect_fail:
        first = path.read_text().splitlines()[0]
        m = re.match(r"#\s*expect:\s*(.+)", first)
        expected = m.group(1).strip() if m else ""
        try:
            render(args.chart, load_values(path))
        except helm.HelmError as e:
            msg = str(e).replace("\n", " ")
            if expected and expected.lower() not in msg.lower():
                rep.fail(f"{path.name} refused", f"but not with {expected!r}: {msg[:300]}")
            else:
                rep.ok(f"{path.name} refused: ...{msg[max(0, msg.lower().find(expected.lower()) - 40):][:160]}")
            continue
        rep.fail(f"{path.name} refused", "it rendered")

    print(f"\nhelm-check: {rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
