"""The web app's sign-in: HTML forms that set an HttpOnly, SameSite=Strict session cookie,
which the owner-checked API routes accept (so a player can stream without a token in a URL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, World, sign_up


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
    # The answer records the session in the origin's storage (signed-in.js), then goes on.
    assert signed.status_code == 200 and 'data-next="/"' in signed.text
    assert '<script src="/static/web/signed-in.js">' in signed.text
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
    for target in (
        "https://evil.example/",
        "//evil.example/x",
        "javascript:alert(1)",
        "/\\evil.example/x",
        "/\t/evil.example/x",
    ):
        signed = client.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert 'data-next="/"' in signed.text, target
    client.cookies.clear()


def test_sign_up_then_sign_out(client: TestClient) -> None:
    made = client.post(
        "/signup", data={"username": "webby", "password": PASSWORD}, follow_redirects=False
    )
    assert made.status_code == 200 and "vidscope_session" in made.cookies
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


def test_the_page_can_tell_which_session_its_origin_made(client: TestClient, world: World) -> None:
    signed = client.post("/login", data={"username": "alice", "password": PASSWORD})
    recorded = signed.text.split('data-session="', 1)[1].split('"', 1)[0]
    session = signed.cookies["vidscope_session"]
    assert session not in signed.text  # a fingerprint, never the token
    client.cookies.clear()
    seen = client.get("/web/session", cookies={"vidscope_session": session})
    assert seen.status_code == 200 and seen.json() == {"session": recorded}
    other = client.get("/web/session", cookies={"vidscope_session": _session(client, "bob")})
    assert other.json()["session"] != recorded
    assert client.get("/web/session").status_code == 401
    quoted = client.get("/web/session", headers={"Cookie": f'vidscope_session="{session}"'})
    assert quoted.status_code == 401
    assert quoted.json()["error"]["code"] == "auth.ambiguous_session"
    # Signed out because the session changed under the page: the form says why.
    out = client.post(
        "/logout?reason=session_changed",
        cookies={"vidscope_session": session},
        follow_redirects=False,
    )
    assert out.headers["location"] == "/login?reason=session_changed"
    assert "replaced your sign-in" in client.get(out.headers["location"]).text
    assert client.get("/web/session", cookies={"vidscope_session": session}).status_code == 401
    client.cookies.clear()


def test_over_https_the_cookie_is_host_only_and_secure(client: TestClient, world: World) -> None:
    signed = client.post(
        "https://testserver/login", data={"username": "alice", "password": PASSWORD}
    )
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("__Host-vidscope_session=") and "Secure" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie
    session = signed.cookies["__Host-vidscope_session"]
    client.cookies.clear()
    me = client.get(
        "https://testserver/api/v1/auth/me", cookies={"__Host-vidscope_session": session}
    )
    assert me.status_code == 200
    # A plain cookie is what a page of another scheme or port could have planted.
    plain = client.get("https://testserver/api/v1/auth/me", cookies={"vidscope_session": session})
    assert plain.status_code == 401
    assert plain.json()["error"]["code"] == "auth.ambiguous_session"
    client.cookies.clear()


def test_sign_up_states_the_password_rules_before_they_are_broken(client: TestClient) -> None:
    """The sign-up form says what a password must be (and the browser checks the length);
    the sign-in form does not: a person signing in has a password already."""
    from pipelines.accounts import MAX_PASSWORD, MIN_PASSWORD

    signup = client.get("/signup").text
    assert f'minlength="{MIN_PASSWORD}" aria-describedby="password-rules"' in signup
    rules = signup.split('id="password-rules">')[1].split("</p>")[0]
    assert f"{MIN_PASSWORD} to {MAX_PASSWORD} characters" in rules and "username" in rules
    signin = client.get("/login").text
    assert "<form" in signin
    assert "password-rules" not in signin and "minlength" not in signin


def test_a_cookie_is_no_bearer_token_nor_a_bearer_token_a_cookie(client: TestClient) -> None:
    """Two audiences: a session cookie's token replayed as a bearer token, or an API token
    planted as the cookie, is refused (each works only where it was issued for)."""
    cora = sign_up(client, "cora")
    session = _session(client, "cora")
    assert client.get("/api/v1/auth/me", cookies={"vidscope_session": session}).status_code == 200
    as_bearer = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session}"})
    assert as_bearer.status_code == 401, as_bearer.text
    assert as_bearer.json()["error"]["code"] == "auth.invalid_token"
    assert client.get("/api/v1/auth/me", headers=cora.headers).status_code == 200
    as_cookie = client.get("/api/v1/auth/me", cookies={"vidscope_session": cora.token})
    assert as_cookie.status_code == 401, as_cookie.text
    planted = client.get("/web/session", cookies={"vidscope_session": cora.token})
    assert planted.status_code == 401, planted.text
    client.cookies.clear()
