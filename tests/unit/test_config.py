from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

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
    assert settings.layout.catalog_path == tmp_path / "catalog.duckdb"


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
    changed = settings.model_copy(update={"chunk_min_s": 10.0})
    assert changed.chunking.min_s == 10.0 and settings.chunking.min_s == 15.0
    # Every flat field is read by a group view (or is one of the few shared at the top).
    import ast
    import inspect

    from pipelines import config

    tree = ast.parse(inspect.getsource(config.Settings))
    views = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(getattr(d, "id", None) == "cached_property" for d in node.decorator_list)
    ]
    grouped = {
        node.attr
        for view in views
        for node in ast.walk(view)
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "self"
    }
    top = {"profile", "home", "threads", "model_cache", "log_level", "log_format", "mlflow_uri"}
    top |= {"secret_key_file"}  # read into secret_key as the settings are validated
    assert set(type(settings).model_fields) - top <= grouped


def test_a_copy_of_the_settings_is_validated_and_gets_its_own_group_views() -> None:
    """``model_copy`` goes through validation (pydantic's own copy would not) and its group
    views are built from the copy's fields, not carried over from the original."""
    settings = load_settings()
    assert settings.search.k == 10  # the view is built (and cached) on the original
    copy = settings.model_copy(update={"search_k": 3})
    assert copy.search.k == 3 and settings.search.k == 10
    with pytest.raises(ValidationError, match="chunk_overlap_s must be smaller"):
        settings.model_copy(update={"chunk_min_s": 4.0})


def test_the_secret_key_can_come_from_a_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("a-secret-from-a-file-that-is-long-enough-0123\n")
    settings = load_settings(profile="production", home=tmp_path, secret_key_file=key)
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() == "a-secret-from-a-file-that-is-long-enough-0123"
    with pytest.raises(ConfigError) as unreadable:
        load_settings(secret_key_file=tmp_path / "missing")
    assert "VIDSCOPE_SECRET_KEY_FILE" in unreadable.value.message
