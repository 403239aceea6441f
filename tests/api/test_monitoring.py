"""The monitoring in deploy/ holds: the alert rules pass `promtool check rules` and their unit
tests (`promtool test rules`), the dashboard's queries parse, and every metric the rules and
the dashboard name is one a running server exports (a scrape of the real app)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.support.api import World

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "vidscope.json"
PROMTOOL = shutil.which("promtool")
NEEDS_PROMTOOL = "promtool (Debian's prometheus package; 'make test' installs it as root)"


def promtool(*args: str, cwd: Path = DEPLOY / "prometheus") -> str:
    assert PROMTOOL, f"missing {NEEDS_PROMTOOL}"
    done = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def dashboard_queries() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in board["panels"] for t in panel["targets"]]


def test_the_alert_rules_check_and_their_unit_tests_pass() -> None:
    assert "SUCCESS: 7 rules found" in promtool("check", "rules", "alerts.yml")
    assert "SUCCESS" in promtool("test", "rules", "alerts_test.yml")
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")


def test_the_dashboard_queries_parse(tmp_path: Path) -> None:
    # promtool parses PromQL in rule files: each query becomes a recording rule.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{n}", "expr": e.replace("$instance", ".*")}
                    for n, e in enumerate(dashboard_queries())
                ],
            }
        ]
    }
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    assert "SUCCESS" in promtool("check", "rules", "dashboard.yml", cwd=tmp_path)


@pytest.mark.slow
def test_every_metric_they_name_is_exported(client: TestClient, world: World) -> None:
    search = client.get("/api/v1/search", params={"q": "solar"}, headers=world.alice.headers)
    assert search.status_code == 200  # so the search histogram has a sample
    # Prometheus on this machine: /metrics answers loopback clients when no token is set.
    scrape = TestClient(client.app, client=("127.0.0.1", 9090)).get("/metrics")
    assert scrape.status_code == 200
    exported = {
        re.sub(r"_total$", "", name)  # a counter's TYPE line names the _total series
        for name in re.findall(r"^# TYPE (\w+) ", scrape.text, flags=re.MULTILINE)
    }
    assert "vidscope_ready" in exported and "vidscope_library_free_bytes" in exported
    named = set(re.findall(r"\bvidscope_\w+", RULES.read_text() + " ".join(dashboard_queries())))
    families = {re.sub(r"_(bucket|total|sum|count)$", "", name) for name in named}
    missing = sorted(f for f in families if f not in exported)
    assert missing == [], f"named in deploy/ but not exported: {missing}"
    ready = re.search(r"^vidscope_ready (\S+)$", scrape.text, flags=re.MULTILINE)
    assert ready and float(ready.group(1)) == 1.0  # the test server is ready
