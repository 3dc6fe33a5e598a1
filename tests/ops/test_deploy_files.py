"""The production files stay in step with the code: compose.yaml parses, every metric the
alert rules and the Grafana dashboard (deploy/) use is one /metrics serves, promtool passes
the rules, the scrape config and every query of the dashboard, and the dashboard passes a
JSON schema of what Grafana needs."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHOP_NAME = re.compile(r"\bshop_[a-z_]+\b")


def served_names(client) -> set[str]:
    """Every sample name /metrics can serve (a histogram's _bucket, _count, _sum; a
    counter's _total), from the TYPE lines of a scrape."""
    text = client.get("/metrics/", REMOTE_ADDR="127.0.0.1").content.decode()
    names = set()
    for kind, name in re.findall(r"^# TYPE (\S+) (\w+)$", text, re.M):
        base = kind.removesuffix("_total")
        names |= {kind, base}
        if name == "histogram":
            names |= {f"{base}_bucket", f"{base}_count", f"{base}_sum"}
        if name == "counter":
            names.add(f"{base}_total")
    return names


@pytest.mark.django_db
def test_alerts_and_the_dashboard_use_only_served_metrics(client, settings):
    settings.METRICS_INTERNAL_NETWORKS = [__import__("ipaddress").ip_network("127.0.0.1/32")]
    served = served_names(client)
    alerts = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    rules = [rule for group in alerts["groups"] for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} >= {
        "ShopHighErrorRate",
        "ShopSlowRequests",
        "ShopQueueBacklog",
        "ShopPaymentFailureRate",
        "ShopWebhookFailures",
        "ShopNotReady",
    }
    used = {name for rule in rules for name in SHOP_NAME.findall(rule["expr"])}
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/shop-overview.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used |= {name for expr in exprs for name in SHOP_NAME.findall(expr)}
    assert used and used <= served, used - served


def test_compose_has_the_realtime_service_and_the_monitoring_profile():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert "websocket_application" in services["realtime"]["command"]
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert services["grafana"]["profiles"] == ["monitoring"]
    assert "config/gunicorn.py" in services["web"]["command"]
    assert services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    job = prometheus["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics" and job["authorization"]["type"] == "Bearer"


# --- The tools' own checks (issue 22) -----------------------------------------------------

PROMTOOL = os.environ.get("PROMTOOL") or str(ROOT / ".tools/promtool")


def promtool(*args: str) -> str:
    """Prometheus's own checker (`make promtool` takes it out of Debian's package)."""
    if not Path(PROMTOOL).exists():
        pytest.fail(f"promtool is not at {PROMTOOL}: `make promtool` (make test does it)")
    done = subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_promtool_passes_the_alert_rules_and_the_scrape_config():
    printed = promtool("check", "rules", str(ROOT / "deploy/prometheus/alerts.yml"))
    assert "SUCCESS: 7 rules found" in printed
    # The rule file and the token are mounted by compose; their paths are not checked here.
    printed = promtool(
        "check", "config", "--syntax-only", str(ROOT / "deploy/prometheus/prometheus.yml")
    )
    assert "SUCCESS" in printed


def dashboard() -> dict:
    return json.loads((ROOT / "deploy/grafana/dashboards/shop-overview.json").read_text())


def test_promtool_parses_every_query_of_the_dashboard(tmp_path):
    """Each panel's PromQL, given to promtool as a recording rule: a query Prometheus
    could not parse fails here, not on an operator's screen."""
    exprs = [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"shop:dashboard_query_{n}", "expr": expr}
                    for n, expr in enumerate(exprs)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    assert f"SUCCESS: {len(exprs)} rules found" in promtool("check", "rules", str(path))
    broken = tmp_path / "broken.yml"
    broken.write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": "x",
                        "rules": [
                            {
                                "record": "shop:broken",
                                "expr": "sum(rate(shop_http_requests_total[5m])",
                            }
                        ],
                    }
                ]
            }
        )
    )
    done = subprocess.run(
        [PROMTOOL, "check", "rules", str(broken)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1 and "FAILED" in done.stdout + done.stderr


# What Grafana needs of a provisioned dashboard (its JSON model, schemaVersion 39): a title,
# a uid, panels with a unique id, a known type, a place on the 24-column grid, the
# provisioned Prometheus data source and queries with a reference id.
GRID = {"type": "integer", "minimum": 0}
DASHBOARD_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["uid", "title", "schemaVersion", "panels", "time"],
    "properties": {
        "uid": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,40}$"},
        "title": {"type": "string", "minLength": 1},
        "schemaVersion": {"type": "integer", "minimum": 36},
        "refresh": {"type": "string", "pattern": "^[0-9]+[smhd]$"},
        "time": {
            "type": "object",
            "required": ["from", "to"],
            "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
        },
        "panels": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "type", "title", "gridPos", "datasource", "targets"],
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "type": {"enum": ["timeseries", "stat", "gauge", "table", "bargauge"]},
                    "title": {"type": "string", "minLength": 1},
                    "gridPos": {
                        "type": "object",
                        "required": ["h", "w", "x", "y"],
                        "properties": {
                            "h": {"type": "integer", "minimum": 1},
                            "w": {"type": "integer", "minimum": 1, "maximum": 24},
                            "x": {"type": "integer", "minimum": 0, "maximum": 23},
                            "y": GRID,
                        },
                    },
                    "datasource": {
                        "type": "object",
                        "required": ["type", "uid"],
                        "properties": {"type": {"const": "prometheus"}},
                    },
                    "targets": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["refId", "expr"],
                            "properties": {
                                "refId": {"type": "string", "pattern": "^[A-Z]$"},
                                "expr": {"type": "string", "minLength": 1},
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_the_dashboard_passes_its_json_schema_and_fits_its_provisioning():
    board = dashboard()
    jsonschema.validate(board, DASHBOARD_SCHEMA, cls=jsonschema.Draft202012Validator)
    panels = board["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    assert all(panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24 for panel in panels)
    sources = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"]
    assert {panel["datasource"]["uid"] for panel in panels} <= {s["uid"] for s in sources}
    wrong = {**board, "panels": [{**panels[0], "gridPos": {"h": 8, "w": 30, "x": 0, "y": 0}}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, DASHBOARD_SCHEMA, cls=jsonschema.Draft202012Validator)
