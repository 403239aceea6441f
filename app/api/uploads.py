"""Uploads streamed straight to the staging folder, hashed on the way, and cut off with 413 the
moment they pass the size cap or the user's remaining quota: nothing over the limit is kept."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import anyio
from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from pipelines.config import MAX_SPEAKERS
from pipelines.errors import MediaError, VidscopeError
from pipelines.ingest import quota_exceeded

# Control characters, and the invisible ones that reorder or hide text (a right-to-left
# override made "invoice\u202e4pm.exe" show as "invoiceexe.mp4"-like names): never in a title.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


@dataclass(frozen=True)
class StagedUpload:
    path: Path
    filename: str  # the name the person gave it, without folders or control characters
    title: str
    sha256: str
    size_bytes: int
    speakers: int | None = None  # the form's 'speakers': how many people speak, when known


def plain_filename(filename: str) -> str:
    """The file's own name: no folders (either slash), no control characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return _CONTROL.sub("", name).strip()[:255] or "upload"


def title_from_filename(filename: str) -> str:
    """The name a person gave the file, as plain text: no folders (either slash), no
    extension, no control characters, at most 200 characters. It is only ever a title."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    return _CONTROL.sub("", stem).strip()[:200] or "untitled"


# The form's small fields besides the file, and how many bytes each may have.
FIELDS = {b"speakers": 16}


class _FilePart:
    """Collects the ``file`` field's bytes from the parser's callbacks, and the small
    ``FIELDS`` (up to their size; more is ``request.invalid``)."""

    def __init__(self) -> None:
        self.header_field = b""
        self.header_value = b""
        self.disposition = b""
        self.in_file = False
        self.seen_file = False
        self.filename = ""
        self.pending: list[bytes] = []
        self.field: bytes | None = None
        self.fields: dict[bytes, bytes] = {}

    def on_part_begin(self) -> None:
        self.disposition = b""
        self.in_file = False
        self.field = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_field.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_field = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        name = options.get(b"name")
        if name == b"file" and not self.seen_file:
            self.in_file = self.seen_file = True
            self.filename = options.get(b"filename", b"").decode("utf-8", "replace")
        elif name in FIELDS:
            self.field = name
            self.fields[name] = b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.pending.append(bytes(data[start:end]))
        elif self.field is not None:
            value = self.fields[self.field] + bytes(data[start:end])
            if len(value) > FIELDS[self.field]:
                raise VidscopeError(
                    f"the form field {self.field.decode()!r} is longer than "
                    f"{FIELDS[self.field]} bytes",
                    code="request.invalid",
                )
            self.fields[self.field] = value

    def on_part_end(self) -> None:
        self.in_file = False


async def stream_upload(
    request: Request, *, staging_dir: Path, max_bytes: int, quota_left: int
) -> StagedUpload:
    """Reads a multipart body whose field ``file`` is the upload into ``staging_dir`` (and
    its field ``speakers``, if any, checked to be a whole number: ``speaker.bad_count``).
    Raises ``media.too_large`` or ``quota.exceeded`` (and removes the partial file) as soon
    as the bytes pass the limit, ``request.invalid`` when there is no ``file`` field."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise VidscopeError(
            "upload the video as multipart/form-data with the file in the field 'file', "
            "e.g. curl -F file=@talk.mp4",
            code="request.invalid",
        )
    part = _FilePart()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": part.on_part_begin,
            "on_header_field": part.on_header_field,
            "on_header_value": part.on_header_value,
            "on_header_end": part.on_header_end,
            "on_headers_finished": part.on_headers_finished,
            "on_part_data": part.on_part_data,
            "on_part_end": part.on_part_end,
        },
    )
    staging_dir.mkdir(parents=True, exist_ok=True)
    path = staging_dir / f"{secrets.token_hex(8)}.upload"
    limit = min(max_bytes, quota_left)
    digest = hashlib.sha256()
    size = 0
    handle = await anyio.open_file(path, "wb")
    try:
        async for chunk in request.stream():
            _parse(parser, chunk)
            if not part.pending:
                continue
            data = b"".join(part.pending)
            part.pending.clear()
            size += len(data)
            if size > limit:
                raise _over_limit(max_bytes, quota_left)
            digest.update(data)
            await handle.write(data)
        _parse(parser, None)
        await handle.aclose()
        if not part.seen_file:
            raise VidscopeError(
                "the upload has no field named 'file'; send the video as -F file=@talk.mp4",
                code="request.invalid",
            )
    except BaseException:
        await handle.aclose()
        path.unlink(missing_ok=True)
        raise
    return StagedUpload(
        path,
        plain_filename(part.filename),
        title_from_filename(part.filename),
        digest.hexdigest(),
        size,
        speakers_field(part.fields.get(b"speakers")),
    )


def speakers_field(value: bytes | None) -> int | None:
    """The form's ``speakers``: a whole number, or None when absent or empty (a web form
    sends its empty box). The range is the library's to check (``speaker.bad_count``)."""
    text = (value or b"").decode("utf-8", "replace").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise VidscopeError(
            f"speakers must be a whole number between 1 and {MAX_SPEAKERS}, got {text!r}; "
            "leave it out to have the voices counted",
            code="speaker.bad_count",
        )
    return int(text)


def _over_limit(max_bytes: int, quota_left: int) -> VidscopeError:
    if quota_left < max_bytes:
        return quota_exceeded(quota_left)
    return MediaError(
        f"the upload is over the {max_bytes}-byte limit (VIDSCOPE_MAX_FILE_BYTES); "
        "split the recording or ask the operator to raise the limit",
        code="media.too_large",
        limit_bytes=max_bytes,
    )


def _parse(parser: MultipartParser, chunk: bytes | None) -> None:
    """Feeds the parser (None: the end); a body that is not multipart as it claims (a CR in a
    part's header, a missing boundary) is the client's mistake, request.invalid, not a 500."""
    try:
        if chunk is None:
            parser.finalize()
        else:
            parser.write(chunk)
    except MultipartParseError as exc:
        raise VidscopeError(
            f"the upload is not a valid multipart/form-data body ({exc}); send the video as "
            "-F file=@talk.mp4",
            code="request.invalid",
        ) from exc
