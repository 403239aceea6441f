"""The API's own answer for a path it has but a method it does not (405 with ``Allow``), and
for a path under ``/api/v1/`` it does not have (404), in the error envelope; HEAD on a GET
route is the GET's headers without its body (HTTP requires it; media players send it).

Starlette's router would give both, but the web app is mounted at ``/`` and matches every
path fully, so without this layer ``TRACE /api/v1/videos`` reached the web app and was
answered as a page that needs a sign-in (401), and ``/api/v1/nothing`` likewise."""

from __future__ import annotations

from starlette.routing import BaseRoute, Host, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import send_envelope

# The API's own paths: an unknown one is 404 here. Other paths stay the web app's (Gradio
# still serves its legacy /api/{name} there).
API_PREFIX = "/api/v1/"
# The methods an Allow header can name; each is tried against the path to find which it takes.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _api_routes(routes: list[BaseRoute]) -> list[BaseRoute]:
    # Routes and included routers only: mounts (the web app, static files) answer for
    # themselves and match every method.
    return [route for route in routes if not isinstance(route, Mount | Host)]


def _match(routes: list[BaseRoute], scope: Scope) -> Match:
    best = Match.NONE
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return match
        if match == Match.PARTIAL:
            best = match
    return best


class MethodsOfKnownPaths:
    def __init__(self, app: ASGIApp, *, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the app's own list: routes added later are seen too

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        routes = _api_routes(self.routes)
        match = _match(routes, scope)
        if match == Match.FULL:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD" and _match(routes, {**scope, "method": "GET"}) == Match.FULL:
            await _head_as_get(self.app, scope, receive, send)
            return
        allowed = set()
        if match == Match.PARTIAL:
            allowed = {m for m in _METHODS if _match(routes, {**scope, "method": m}) == Match.FULL}
            if "GET" in allowed:
                allowed.add("HEAD")  # answered as GET without its body (_head_as_get)
        path = scope["path"]
        correlation_id = scope.get("state", {}).get("request_id")
        if allowed:
            methods = ", ".join(sorted(allowed))
            await send_envelope(
                send,
                status=405,
                code="http.method_not_allowed",
                message=f"{scope['method']} is not allowed on {path}; it takes {methods}",
                correlation_id=correlation_id,
                details={"allow": methods},
                headers={"Allow": methods},
            )
        elif path.startswith(API_PREFIX):
            await send_envelope(
                send,
                status=404,
                code="http.not_found",
                message=f"no route {path}; the API is under /api/v1 (see /docs)",
                correlation_id=correlation_id,
            )
        else:
            await self.app(scope, receive, send)


class _HeadAnswered(Exception):
    """Raised through the app once a HEAD's headers are sent: the body is not wanted."""


async def _head_as_get(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """HEAD on a GET route (a media player or a download tool asking a file's size and type):
    the GET's status and headers, Content-Length included, and no body. The app is stopped
    at its first body chunk, so a video's bytes are not read for nothing."""

    async def headers_only(message: Message) -> None:
        if message["type"] == "http.response.start":
            await send(message)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        raise _HeadAnswered

    try:
        await app({**scope, "method": "GET"}, receive, headers_only)
    except _HeadAnswered:
        pass
