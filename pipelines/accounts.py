"""Accounts: argon2id password hashes (argon2-cffi), short-lived JWT access tokens (PyJWT, one
pinned algorithm) and rotating refresh tokens stored as hashes. A refresh token used twice
means it was stolen: every session of the account ends at once (its refresh tokens, and the
access tokens issued so far)."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import argon2
import jwt

from pipelines.config import Settings
from pipelines.errors import VidscopeError
from pipelines.records import User
from pipelines.storage.catalog import LOCAL_OWNER, Catalog

ALGORITHM = "HS256"  # pinned: a token naming any other algorithm (or "none") is refused
ISSUER = "vidscope"
AUDIENCE = "vidscope-api"
# The web app's session cookie carries a token for this audience only: a cookie's token is no
# bearer token, nor a bearer token a cookie (one stolen from a page's storage or a log cannot
# be replayed the other way).
WEB_AUDIENCE = "vidscope-web"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
RESERVED_USERNAMES = frozenset({LOCAL_OWNER, "admin", "root", "system"})
MIN_PASSWORD, MAX_PASSWORD = 8, 256
# The most common passwords of eight or more characters in published breach lists (shorter
# ones are refused by length anyway).
COMMON_PASSWORDS = frozenset(
    """password password1 password123 passw0rd 12345678 123456789 1234567890 qwertyuiop
    qwerty123 iloveyou 11111111 00000000 abc12345 abcd1234 sunshine princess football
    baseball welcome welcome1 letmein1 trustno1 superman starwars whatever dragon123
    1q2w3e4r 1qaz2wsx zaq12wsx qwertyui asdfghjk changeme admin123 administrator
    computer internet michelle jennifer charlie1 monkey123 shadow12 master123 vidscope
    vidscope1""".split()
)
_hasher = argon2.PasswordHasher()  # argon2id with the library's (RFC 9106) parameters
# Verifying against this when a username does not exist costs the same time as a real check,
# so response times do not tell which usernames exist.
_DUMMY_HASH = _hasher.hash("not a password")


class AuthError(VidscopeError):
    code = "auth.invalid_token"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


def signing_key(settings: Settings) -> str:
    """The JWT secret: ``VIDSCOPE_SECRET_KEY``, or (outside production, where it is required)
    a random key kept in the library folder with mode 0600, so tokens survive a restart."""
    if settings.auth.secret_key is not None:
        return settings.auth.secret_key.get_secret_value()
    path = settings.home / ".secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise VidscopeError(
            "usernames are 3 to 32 characters: lowercase letters, digits, '.', '_' and '-', "
            "starting with a letter or digit",
            code="auth.bad_username",
        )
    if name in RESERVED_USERNAMES:
        raise VidscopeError(f"the username {name!r} is reserved", code="auth.bad_username")
    return name


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _same_as_username(plain: str, username: str) -> bool:
    """The username with other digits or signs ('alice' as 'Alice2024!'), or with other
    signs only ('0000' as '0000!!!!'). A username without letters does not make every
    password without letters its own (Schemathesis's 'register' with username '0000' and a
    password of signs was refused as the username)."""
    letters = _letters(username)
    if letters and _letters(plain) == letters:
        return True
    alnum = re.sub(r"[^a-z0-9]", "", username.lower())
    return bool(alnum) and re.sub(r"[^a-z0-9]", "", plain) == alnum


def check_password(password: str, *, username: str = "") -> str:
    """The password, if it is long enough and not one of the first guesses of any attacker
    (a common password, a run of one character or digits, the username)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise VidscopeError(
            f"passwords are {MIN_PASSWORD} to {MAX_PASSWORD} characters long",
            code="auth.weak_password",
        )
    plain = password.strip().lower()
    guessable = (
        plain in COMMON_PASSWORDS
        or len(set(plain)) <= 2
        or plain.isdigit()
        or _same_as_username(plain, username)
    )
    if guessable:
        raise VidscopeError(
            "this password is among the first an attacker tries (a common password, digits "
            "only, a repeated character or your username); choose a passphrase, e.g. three "
            "unrelated words",
            code="auth.weak_password",
        )
    return password


class Accounts:
    """Sign-up, login, token refresh and verification against one catalog."""

    def __init__(self, catalog: Catalog, settings: Settings) -> None:
        self.catalog = catalog
        self.settings = settings
        self._key = signing_key(settings)

    # -- accounts ----------------------------------------------------------------------------
    def register(self, username: str, password: str, *, role: str = "user") -> User:
        name = check_username(username)
        return self.catalog.add_user(
            username=name,
            password_hash=_hasher.hash(check_password(password, username=name)),
            role=role,
        )

    def user_named(self, username: str) -> User:
        user = self.catalog.find_user(username.strip().lower())
        if user is None:
            raise VidscopeError(
                f"no account named {username!r}; the list of accounts names each one",
                code="user.not_found",
            )
        return user

    def _changeable(self, username: str) -> User:
        """An account an administrator may change: any but the local owner, who stands for
        this machine's administrator and signs in only through the server's token file."""
        user = self.user_named(username)
        if user.id == LOCAL_OWNER:
            raise VidscopeError(
                f"the account {LOCAL_OWNER!r} is this machine's administrator: it has no "
                "password and cannot be changed",
                code="auth.reserved_account",
            )
        return user

    def set_disabled(self, username: str, disabled: bool) -> User:
        user = self._changeable(username)
        self.catalog.update_user(user.id, disabled=disabled)
        if disabled:
            self.catalog.revoke_user_tokens(user.id)
        return self.catalog.get_user(user.id)

    def reset_password(self, username: str, password: str) -> User:
        user = self._changeable(username)
        check_password(password, username=user.username)
        self.catalog.update_user(user.id, password_hash=_hasher.hash(password))
        self.catalog.revoke_user_tokens(user.id)  # every session signs in again
        return user

    def authenticate(self, username: str, password: str) -> User:
        """The user, if the password is right and the account enabled; else ``auth.failed``
        (one message for a wrong name or a wrong password)."""
        user = self.catalog.find_user(username.strip().lower())
        stored = self.catalog.password_hash(user.id) if user else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
            ok = stored is not None
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            ok = False
        if not ok or user is None or user.id == LOCAL_OWNER:
            raise AuthError("wrong username or password", code="auth.failed")
        if user.disabled:
            raise AuthError("this account is disabled; ask an administrator", code="auth.disabled")
        return user

    # -- tokens ------------------------------------------------------------------------------
    def issue(self, user: User, *, family: str | None = None) -> TokenPair:
        refresh = secrets.token_urlsafe(32)
        family = family or uuid.uuid4().hex
        self.catalog.add_refresh_token(
            token_hash=_token_hash(refresh),
            user_id=user.id,
            family=family,
            expires_at=datetime.now(UTC).replace(tzinfo=None)
            + timedelta(seconds=self.settings.auth.refresh_token_ttl_s),
        )
        ttl = self.settings.auth.access_token_ttl_s
        return TokenPair(self.access_token(user, ttl_s=ttl, login=family), refresh, ttl)

    def access_token(
        self, user: User, *, ttl_s: int, audience: str = AUDIENCE, login: str | None = None
    ) -> str:
        """``login``: the refresh-token family the token belongs to (its ``sid``), so a
        logout of that login ends this token and no other login's."""
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "sub": user.id,
            "iat": now,
            "iat_ms": int(time.time() * 1000),  # a revocation at this millisecond counts
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
            "role": user.role,
        }
        if login is not None:
            claims["sid"] = login
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, *, audience: str = AUDIENCE) -> User:
        """The enabled user an access token names; ``auth.invalid_token`` for anything else
        (expired, tampered, another audience or issuer, another algorithm, missing claims)."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError(
                "the access token has expired; refresh it (POST /api/v1/auth/refresh) or log in",
                code="auth.token_expired",
            ) from exc
        except jwt.PyJWTError as exc:
            raise AuthError("the access token is not valid; log in again") from exc
        user = self.catalog.find_user_by_id(str(claims["sub"]))
        if user is None or user.disabled:
            raise AuthError("the account behind this token is disabled or gone")
        issued_ms = int(claims.get("iat_ms", int(claims["iat"]) * 1000))
        if self.catalog.session_revoked(
            jti=str(claims["jti"]), user_id=user.id, issued_ms=issued_ms
        ):
            raise AuthError(
                "this session has ended (signed out, or the password changed); log in again",
                code="auth.session_ended",
            )
        return user

    def end_session(
        self, token: str, *, audience: str = AUDIENCE, login: str | None = None
    ) -> None:
        """Signs one access token out before it expires; a token that is not valid anyway
        is ignored, and so is one of another login than ``login`` (when given)."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], audience=audience, issuer=ISSUER
            )
        except jwt.PyJWTError:
            return
        if login is not None and claims.get("sid") != login:
            return
        self.catalog.revoke_session(
            jti=str(claims["jti"]),
            user_id=str(claims["sub"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC).replace(tzinfo=None),
        )

    def end_all_sessions(self, user: User) -> None:
        self.catalog.revoke_user_tokens(user.id)

    def refresh(self, refresh_token: str) -> tuple[User, TokenPair]:
        """Rotates a refresh token: the old one is spent, a new pair comes back. A spent token
        presented again ends every session of the account (``auth.token_reused``)."""
        outcome, user_id, family = self.catalog.use_refresh_token(_token_hash(refresh_token))
        if outcome == "reused":
            # Whoever stole it may already hold an access token of that login, and access
            # tokens do not name their login: every session of the account ends now, as at a
            # password reset (refresh tokens, and access tokens issued until this moment).
            self.catalog.revoke_user_tokens(user_id)
            raise AuthError(
                "this refresh token was already used, so it may have been stolen: every "
                "session of this account is signed out; log in again",
                code="auth.token_reused",
                user_id=user_id,
            )
        if outcome != "ok":
            raise AuthError(f"the refresh token is {outcome}; log in again")
        user = self.catalog.find_user_by_id(user_id)
        if user is None or user.disabled:
            raise AuthError("the account is disabled", code="auth.disabled")
        return user, self.issue(user, family=family)

    def logout(self, user: User, refresh_token: str) -> str | None:
        """Ends the user's login that the refresh token belongs to (its whole family) and
        returns it; None when the token names no login of this user (nothing ended)."""
        family = self.catalog.refresh_family(_token_hash(refresh_token), user_id=user.id)
        if family is not None:
            self.catalog.revoke_family(family)
        return family
