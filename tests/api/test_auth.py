"""Accounts and tokens: argon2id hashes, JWTs with every claim checked and one algorithm,
refresh rotation with reuse detection, disabled accounts, login throttling."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from pipelines.accounts import signing_key
from pipelines.config import Settings
from tests.support.api import PASSWORD, World, api_settings, sign_up


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(user_id: str, **changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": "vidscope",
        "aud": "vidscope-api",
        "sub": user_id,
        "iat": now,
        "exp": now + 600,
        "jti": "t1",
    }
    return {**base, **changes}


def me(client: TestClient, token: str) -> tuple[int, str]:
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json().get("error", {}).get("code", "")


def test_bad_tokens_are_refused(
    client: TestClient, world: World, server_settings: Settings
) -> None:
    key = signing_key(server_settings)
    alice_id = client.get("/api/v1/auth/me", headers=world.alice.headers).json()["id"]
    assert me(client, jwt.encode(claims(alice_id), key, algorithm="HS256"))[0] == 200
    expired = jwt.encode(claims(alice_id, exp=int(time.time()) - 5), key, algorithm="HS256")
    assert me(client, expired) == (401, "auth.token_expired")
    wrong_audience = jwt.encode(claims(alice_id, aud="someone-else"), key, algorithm="HS256")
    assert me(client, wrong_audience) == (401, "auth.invalid_token")
    wrong_issuer = jwt.encode(claims(alice_id, iss="evil"), key, algorithm="HS256")
    assert me(client, wrong_issuer) == (401, "auth.invalid_token")
    other_key = jwt.encode(claims(alice_id), "x" * 48, algorithm="HS256")
    assert me(client, other_key) == (401, "auth.invalid_token")
    no_jti = claims(alice_id)
    del no_jti["jti"]
    assert me(client, jwt.encode(no_jti, key, algorithm="HS256")) == (401, "auth.invalid_token")
    unsigned = b64({"alg": "none", "typ": "JWT"}) + "." + b64(claims(alice_id)) + "."
    assert me(client, unsigned) == (401, "auth.invalid_token")
    header, payload, signature = world.alice.token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["sub"] = "local"  # tampered: claims changed, signature kept
    assert me(client, f"{header}.{b64(forged)}.{signature}") == (401, "auth.invalid_token")
    assert me(client, "not-a-token") == (401, "auth.invalid_token")
    refused = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer x"})
    # RFC 6750: a token that came and is not valid is invalid_token; none came, no error.
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="vidscope", error="invalid_token", error_description="auth.invalid_token"'
    )
    missing = client.get("/api/v1/auth/me")
    assert missing.headers["www-authenticate"] == 'Bearer realm="vidscope"'


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient) -> None:
    dave = sign_up(client, "dave")
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": dave.refresh})
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != dave.refresh
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": dave.refresh})
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "auth.token_reused"
    # Whoever presents the spent token learns nothing of the account (the audit log does).
    assert reused.json()["error"]["details"] == {}, reused.text
    # The thief's use revoked the whole family, the newest token included.
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": rotated})
    assert after.status_code == 401
    events = [e["event"] for e in client.app.state.library.system.audit_events(limit=20)]
    assert "token.reused" in events and "token.refreshed" in events


def test_logout_ends_the_login(client: TestClient) -> None:
    erin = sign_up(client, "erin")
    out = client.post(
        "/api/v1/auth/logout", json={"refresh_token": erin.refresh}, headers=erin.headers
    )
    assert out.status_code == 204
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": erin.refresh})
    assert again.status_code == 401
    ended = client.get("/api/v1/auth/me", headers=erin.headers)
    assert ended.json()["error"]["code"] == "auth.session_ended", ended.text


def test_logout_with_a_token_of_no_login_ends_nothing(client: TestClient) -> None:
    """A made-up refresh token (Schemathesis sends them) names no login: 204 as RFC 7009
    answers a token it does not know, and the access token sent keeps working."""
    gwen = sign_up(client, "gwen")
    for token in ("made-up", sign_up(client, "hugo").refresh):  # none, another account's
        out = client.post(
            "/api/v1/auth/logout", json={"refresh_token": token}, headers=gwen.headers
        )
        assert out.status_code == 204, out.text
    assert client.get("/api/v1/auth/me", headers=gwen.headers).status_code == 200
    fresh = client.post("/api/v1/auth/refresh", json={"refresh_token": gwen.refresh})
    assert fresh.status_code == 200, fresh.text


def test_logout_of_one_login_leaves_the_other_logins_access_token(client: TestClient) -> None:
    """Two logins of one account (two devices; a test fixture and the logins Schemathesis
    makes): ending one with its refresh token, while sending the other's access token, ends
    the first login only. It signed the whole run out when the sent token was always ended."""
    ivan = sign_up(client, "ivan")
    second = client.post(
        "/api/v1/auth/login", json={"username": "ivan", "password": PASSWORD}
    ).json()
    second_headers = {"Authorization": f"Bearer {second['access_token']}"}
    out = client.post(
        "/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]}, headers=ivan.headers
    )
    assert out.status_code == 204
    assert client.get("/api/v1/auth/me", headers=ivan.headers).status_code == 200
    gone = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert gone.status_code == 401
    # Its own access token, sent with its refresh token, ends with it.
    third = client.post(
        "/api/v1/auth/login", json={"username": "ivan", "password": PASSWORD}
    ).json()
    third_headers = {"Authorization": f"Bearer {third['access_token']}"}
    client.post(
        "/api/v1/auth/logout", json={"refresh_token": third["refresh_token"]}, headers=third_headers
    )
    ended = client.get("/api/v1/auth/me", headers=third_headers)
    assert ended.json()["error"]["code"] == "auth.session_ended", ended.text
    assert client.get("/api/v1/auth/me", headers=ivan.headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=second_headers).status_code == 200  # by expiry


def test_sign_up_rules(client: TestClient) -> None:
    def register(username: str, password: str = PASSWORD) -> tuple[int, str]:
        r = client.post("/api/v1/auth/register", json={"username": username, "password": password})
        return r.status_code, r.json().get("error", {}).get("code", "")

    assert register("frank")[0] == 201
    assert register("Frank") == (409, "auth.username_taken")  # names are case-insensitive
    assert register("local") == (422, "auth.bad_username")
    assert register("a b") == (422, "auth.bad_username")
    assert register("gina", "short") == (422, "auth.weak_password")
    stored = client.app.state.library.catalog.con.execute(
        "SELECT password_hash FROM users WHERE username = 'frank'"
    ).fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_accepts_json_and_the_oauth2_form(client: TestClient) -> None:
    sign_up(client, "hank")
    form = client.post(
        "/api/v1/auth/login",
        data={"username": "hank", "password": PASSWORD, "grant_type": "password"},
    )
    assert form.status_code == 200 and form.json()["token_type"] == "bearer"
    wrong = client.post("/api/v1/auth/login", json={"username": "hank", "password": "nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x" * 9})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_a_disabled_account_cannot_get_in(client: TestClient) -> None:
    ivy = sign_up(client, "ivy")
    client.app.state.accounts.set_disabled("ivy", True)
    assert me(client, ivy.token) == (401, "auth.invalid_token")
    login = client.post("/api/v1/auth/login", json={"username": "ivy", "password": PASSWORD})
    assert login.status_code == 403 and login.json()["error"]["code"] == "auth.disabled"
    assert (
        client.post("/api/v1/auth/refresh", json={"refresh_token": ivy.refresh}).status_code == 401
    )


@pytest.mark.slow
def test_login_throttling_and_rate_limits(tmp_path: object) -> None:
    from pathlib import Path

    settings = api_settings(Path(str(tmp_path)) / "lib")
    settings = settings.model_copy(
        update={"login_rate_limit": "3/minute", "rate_limit": "5/minute"}
    )
    with TestClient(create_app(settings, start_worker=False)) as client:
        for _ in range(3):
            client.post("/api/v1/auth/login", json={"username": "kim", "password": "x" * 9})
        blocked = client.post("/api/v1/auth/login", json={"username": "kim", "password": "x" * 9})
        assert blocked.status_code == 429
        assert blocked.json()["error"]["code"] == "rate.limited"
        assert "VIDSCOPE_LOGIN_RATE_LIMIT" in blocked.json()["error"]["message"]  # what to raise
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
        codes = [
            client.get("/api/v1/videos", headers={"Authorization": "Bearer x"}).status_code
            for _ in range(6)
        ]
        assert codes[:5] == [401] * 5 and codes[5] == 429  # per address, before the token
        refused = client.get("/api/v1/videos", headers={"Authorization": "Bearer x"})
        assert "VIDSCOPE_RATE_LIMIT" in refused.json()["error"]["message"]
