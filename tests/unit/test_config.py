from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.errors import ConfigError


def test_env_prefix_and_types(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIDSCOPE_HOME", str(tmp_path))
    monkeypatch.setenv("VIDSCOPE_MAX_FILE_BYTES", "1000")
    monkeypatch.setenv("VIDSCOPE_ALLOWED_CONTAINERS", "mp4, wav")
    settings = load_settings()
    assert settings.home == tmp_path
    assert settings.max_file_bytes == 1000
    assert settings.allowed_containers == ("mp4", "wav")
    assert settings.catalog_path == tmp_path / "catalog.duckdb"


def test_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDSCOPE_WHISPER_BEAM_SIZE", "0")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "VIDSCOPE_WHISPER_BEAM_SIZE" in caught.value.message


def test_unknown_container_is_refused() -> None:
    with pytest.raises(ConfigError, match="exe"):
        load_settings(allowed_containers="mp4,exe")


def test_inconsistent_chunk_sizes_are_refused() -> None:
    with pytest.raises(ConfigError, match="chunk_min_s"):
        load_settings(chunk_min_s=50)


KEY = "k" * 40


def test_production_requires_absolute_home() -> None:
    with pytest.raises(ConfigError, match="absolute"):
        load_settings(profile="production", home=Path("relative/library"), secret_key=KEY)
    production = load_settings(profile="production", home=Path("/srv/vidscope"), secret_key=KEY)
    assert production.profile == "production"


@pytest.mark.parametrize("key", [None, "changeme", "short-key"])
def test_production_refuses_a_missing_or_placeholder_secret(key: str | None) -> None:
    with pytest.raises(ConfigError, match="VIDSCOPE_SECRET_KEY"):
        load_settings(profile="production", home=Path("/srv/vidscope"), secret_key=key)


def test_a_bad_rate_is_named() -> None:
    with pytest.raises(ConfigError, match="VIDSCOPE_RATE_LIMIT"):
        load_settings(rate_limit="lots")


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("VIDSCOPE_SEARCH_K=7\nVIDSCOPE_PROFILE=test\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert (settings.search_k, settings.profile) == (7, "test")


def test_code_reads_settings_in_groups_built_from_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VIDSCOPE_SEARCH_K", "7")
    monkeypatch.setenv("VIDSCOPE_RRF_K", "30")
    monkeypatch.setenv("VIDSCOPE_WHISPER_BEAM_SIZE", "2")
    monkeypatch.setenv("VIDSCOPE_JOB_LEASE_S", "90")
    settings = load_settings()
    assert (settings.search.k, settings.search.rrf_k) == (7, 30)
    assert settings.transcribe.beam_size == 2 and settings.jobs.lease_s == 90
    changed = settings.model_copy(update={"chunk_min_s": 4.0})
    assert changed.chunking.min_s == 4.0 and settings.chunking.min_s == 15.0
    # Every flat field belongs to a group or to the few shared at the top.
    from pipelines.config import _GROUPS

    grouped = {
        sources.get(field, field)
        for model, sources in _GROUPS.values()
        for field in model.model_fields
    }
    top = {"profile", "home", "threads", "model_cache", "log_level", "log_format"}
    assert set(type(settings).model_fields) == grouped | top
