"""The web app's sign-in: HTML forms that set an HttpOnly, SameSite=Strict session cookie,
which the owner-checked API routes accept (so a player can stream without a token in a URL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, World


def test_sign_in_sets_a_strict_http_only_cookie_that_the_api_accepts(
    client: TestClient, world: World
) -> None:
    page = client.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    signed = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "next": "/"},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"]
    assert "vidscope_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    session = signed.cookies["vidscope_session"]
    media = client.get(
        f"/api/v1/videos/{world.video_id}/media",
        cookies={"vidscope_session": session},
        headers={"Range": "bytes=0-9"},
    )
    assert media.status_code == 206
    theirs = client.get(
        f"/api/v1/videos/{world.video_id}/media",
        cookies={"vidscope_session": _session(client, "bob")},
    )
    assert theirs.status_code == 404  # a cookie is scoped to its owner like a token
    client.cookies.clear()


def _session(client: TestClient, username: str) -> str:
    signed = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    client.cookies.clear()
    return str(signed.cookies["vidscope_session"])


def test_a_wrong_password_shows_the_reason_as_text(client: TestClient, world: World) -> None:
    page = client.post(
        "/login", data={"username": "<script>alert(1)</script>", "password": "wrong password"}
    )
    assert page.status_code == 401
    assert "auth.failed" in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "vidscope_session" not in page.headers.get("set-cookie", "")


def test_next_never_leaves_the_site(client: TestClient, world: World) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        signed = client.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert signed.headers["location"] == "/", target
    client.cookies.clear()


def test_sign_up_then_sign_out(client: TestClient) -> None:
    made = client.post(
        "/signup", data={"username": "webby", "password": PASSWORD}, follow_redirects=False
    )
    assert made.status_code == 303 and "vidscope_session" in made.cookies
    me = client.get(
        "/api/v1/auth/me", cookies={"vidscope_session": made.cookies["vidscope_session"]}
    )
    assert me.json()["username"] == "webby"
    taken = client.post("/signup", data={"username": "webby", "password": PASSWORD})
    assert taken.status_code == 422 and "auth.username_taken" in taken.text
    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert (
        'vidscope_session=""' in out.headers["set-cookie"]
        or "Max-Age=0" in out.headers["set-cookie"]
    )
    client.cookies.clear()


def test_a_disabled_account_cannot_get_in(client: TestClient) -> None:
    made = client.post(
        "/signup", data={"username": "frozen", "password": PASSWORD}, follow_redirects=False
    )
    session = made.cookies["vidscope_session"]
    client.cookies.clear()
    client.app.state.accounts.set_disabled("frozen", True)
    assert client.get("/api/v1/auth/me", cookies={"vidscope_session": session}).status_code == 401
    page = client.post("/login", data={"username": "frozen", "password": PASSWORD})
    assert page.status_code == 401 and "auth.disabled" in page.text
