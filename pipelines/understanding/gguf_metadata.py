"""A GGUF file's header: the key-value metadata that says what model it holds (architecture,
name, chat template, tokenizer), read without touching the weights, and one value rewritten
in place of a copy (``retag``).

The layout (github.com/ggml-org/ggml docs/gguf.md): ``GGUF``, version, tensor count, metadata
count, the metadata (key, type, value), the tensors' descriptions, then the tensor data at the
next multiple of ``general.alignment`` (32 unless set). The descriptions' offsets count from
the start of the data, so the header can change length as long as the data stays aligned.
``gguf``'s own reader maps every tensor too, seven seconds for a 1 GB file; this reads the
header alone, in a fraction of a second."""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.errors import ModelError

MAGIC = b"GGUF"
STRING, ARRAY = 8, 9
# Fixed-size value types: struct format by GGUF type number.
_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_MAX_ITEMS = 10_000_000  # a header claiming more is not a model file


@dataclass(frozen=True)
class GgufMetadata:
    architecture: str
    name: str
    chat_template: str | None
    pre_tokenizer: str | None
    context_length: int | None


class _Header:
    """Walks the header of a mapped GGUF file; ``values`` holds every scalar and string."""

    def __init__(self, data: bytes | mmap.mmap, *, name: str) -> None:
        self.data = data
        self.name = name
        self.at = 0
        self.values: dict[str, Any] = {}
        self.spans: dict[str, tuple[int, int]] = {}  # key -> (start, end) of its whole entry
        if bytes(self.data[:4]) != MAGIC:
            self.refuse("it is not a GGUF file")
        self.at = 4
        version, tensors, count = self.unpack("<IQQ")
        if version not in (2, 3) or tensors > _MAX_ITEMS or count > _MAX_ITEMS:
            self.refuse(f"its GGUF header (version {version}) is not one this runtime reads")
        self.tensors = int(tensors)
        for _ in range(count):
            start = self.at
            key = self.string()
            kind = self.unpack("<I")[0]
            self.values[key] = self.value(kind)
            self.spans[key] = (start, self.at)
        self.metadata_end = self.at

    def refuse(self, why: str) -> None:
        raise ModelError(
            f"the language model file {self.name!r} cannot be used: {why}",
            code="model.unsupported",
        )

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize(fmt)
        if self.at + size > len(self.data):
            self.refuse("its header ends early (a truncated file?)")
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += size
        return values

    def string(self) -> str:
        length = self.unpack("<Q")[0]
        if self.at + length > len(self.data):
            self.refuse("its header ends early (a truncated file?)")
        text = bytes(self.data[self.at : self.at + length]).decode("utf-8", errors="replace")
        self.at += length
        return text

    def value(self, kind: int) -> Any:
        if kind == STRING:
            return self.string()
        if kind in _SCALARS:
            return self.unpack("<" + _SCALARS[kind])[0]
        if kind == ARRAY:
            item, count = self.unpack("<IQ")
            if count > _MAX_ITEMS:
                self.refuse("an array in its header is too long")
            if item in _SCALARS:  # skipped: tokenizer scores and types, not needed here
                self.at += struct.calcsize(_SCALARS[item]) * count
            else:
                for _ in range(count):
                    self.value(item)
            return None
        self.refuse(f"its header holds a value of unknown type {kind}")
        return None

    def data_start(self) -> int:
        """Where the tensor data starts (walks the tensors' descriptions)."""
        self.at = self.metadata_end
        for _ in range(self.tensors):
            self.string()
            dims = self.unpack("<I")[0]
            self.at += 8 * dims + 4 + 8
        return _aligned(self.at, self.alignment)

    @property
    def alignment(self) -> int:
        return int(self.values.get("general.alignment") or 32)


def _aligned(offset: int, alignment: int) -> int:
    return offset + (-offset % alignment)


def read_metadata(path: Path, *, name: str) -> GgufMetadata:
    """The metadata of the GGUF file at ``path`` (``name`` is how errors name it). Raises
    ModelError ``model.unsupported`` when the file is not GGUF or its header is broken."""
    try:
        with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            values = _Header(data, name=name).values
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot read the language model file {name!r}: {exc}", code="model.missing"
        ) from exc
    architecture = str(values.get("general.architecture") or "")
    context = values.get(f"{architecture}.context_length")
    template = values.get("tokenizer.chat_template")
    pre = values.get("tokenizer.ggml.pre")
    return GgufMetadata(
        architecture=architecture,
        name=str(values.get("general.name") or ""),
        chat_template=template if isinstance(template, str) and template.strip() else None,
        pre_tokenizer=pre if isinstance(pre, str) else None,
        context_length=int(context) if isinstance(context, int) else None,
    )


def retag(path: Path, key: str, value: str) -> None:
    """Rewrites the string value of ``key`` in the GGUF file at ``path`` (in place: the header
    is written anew, the tensor data moved only when the header outgrows its padding)."""
    with path.open("rb") as file:
        head = file.read(64 * 1024 * 1024)  # tokenizers' vocabularies make headers of MBs
    header = _Header(head, name=path.name)
    if key not in header.spans or not isinstance(header.values[key], str):
        header.refuse(f"its header has no text value {key!r}")
    start, end = header.spans[key]
    old_start = header.data_start()
    descriptions = head[header.metadata_end : header.at]
    encoded_key, encoded = key.encode(), value.encode()
    entry = (
        struct.pack("<Q", len(encoded_key)) + encoded_key + struct.pack("<IQ", STRING, len(encoded))
    ) + encoded
    new_header = head[:start] + entry + head[end : header.metadata_end] + descriptions
    new_start = _aligned(len(new_header), header.alignment)
    new_header += b"\0" * (new_start - len(new_header))
    if new_start == old_start:
        with path.open("r+b") as file:
            file.write(new_header)
            file.flush()
            os.fsync(file.fileno())
        return
    moved = path.with_name(path.name + ".retag")
    with path.open("rb") as source, moved.open("wb") as out:
        out.write(new_header)
        source.seek(old_start)
        while block := source.read(8 * 1024 * 1024):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    os.replace(moved, path)
