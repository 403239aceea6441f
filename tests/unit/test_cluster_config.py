"""ray-cluster.yaml is a config Ray's own launcher accepts, and it keeps the security rules."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from ray.autoscaler._private.util import prepare_config, validate_config

CONFIG = Path(__file__).resolve().parents[2] / "ray-cluster.yaml"


@pytest.fixture
def config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    return loaded


def test_rays_launcher_validates_the_cluster_config(config: dict[str, Any]) -> None:
    prepared = prepare_config(copy.deepcopy(config))
    validate_config(prepared)  # Ray's JSON schema: raises on any unknown or mistyped field
    assert prepared["provider"]["type"] == "local"
    assert len(prepared["provider"]["worker_ips"]) == 2


def test_the_validation_would_catch_a_broken_config(config: dict[str, Any]) -> None:
    broken = copy.deepcopy(config)
    broken["idle_timeout_minutes"] = "soon"
    broken["head_start_ray_commands"] = "ray start --head"  # a string, not a list
    with pytest.raises(Exception, match="soon|is not of type"):  # noqa: B017 - jsonschema's
        validate_config(prepare_config(broken))


def test_the_cluster_installs_vidscope_and_keeps_ray_private(config: dict[str, Any]) -> None:
    setup = "\n".join(config["setup_commands"])
    assert setup.index("torch==2.13.0") < setup.index("pip install -q -e /opt/vidscope")
    starts = " ".join(config["head_start_ray_commands"] + config["worker_start_ray_commands"])
    assert "--dashboard-host=127.0.0.1" in starts and "0.0.0.0" not in starts
    assert "RAY_AUTH_MODE=token" in starts and "disabled" not in starts
    assert starts.count("RAY_AUTH_TOKEN_PATH=") == 2  # head and workers share one token
    assert "HF_HUB_OFFLINE=1" in starts
    assert starts.count("RAY_USAGE_STATS_ENABLED=0") == 2  # nothing reported outside
