"""The production files stay in step with the code: compose.yaml parses, and every
metric the alert rules and the Grafana dashboard (deploy/) use is one /metrics serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
