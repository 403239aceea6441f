"""The body of an upload to the web page, held to its framing before Gradio stores any of it."""

from __future__ import annotations

from starlette.types import Message, Receive

from pipelines.errors import VidscopeError


class CheckedBody:
    """An upload's body as Gradio reads it, held to its framing: no more bytes than its
    Content-Length, and ending with the multipart closing boundary. A body that breaks either
    ends, for Gradio, in a part it cannot parse, so Gradio keeps none of it (an unterminated
    body otherwise left its part in the upload folder, counted by nobody)."""

    def __init__(self, receive: Receive, *, size: int, boundary: bytes) -> None:
        self._receive = receive
        self._left = size
        self._closing = b"--" + boundary + b"--"
        self._poison = b"\r\n--" + boundary + b"\r\n\x00\r\n\r\n"
        self._tail = b""
        self.broken = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request" or self.broken:
            return {"type": "http.disconnect"} if self.broken else message
        chunk = message.get("body", b"")
        self._left -= len(chunk)
        self._tail = (self._tail + chunk)[-(len(self._closing) + 64) :]
        if self._left < 0 or (
            not message.get("more_body", False) and self._closing not in self._tail
        ):
            self.broken = True
            # Gradio removes its part files when the body fails to parse (and on nothing
            # else): it is given the end of a part and a header no parser accepts.
            return {"type": "http.request", "body": self._poison, "more_body": False}
        return message


def multipart_boundary(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` body; ``upload.malformed`` for any other."""
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() == "multipart/form-data":
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "boundary" and value.strip('"'):
                return value.strip('"').encode("latin-1")
    raise malformed_upload()


def malformed_upload() -> VidscopeError:
    return VidscopeError(
        "the upload is not a whole multipart/form-data body (its boundary missing, or the "
        "body cut short or longer than it said); send the file from the web page again",
        code="upload.malformed",
    )
