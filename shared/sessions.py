"""Member sessions: tokens boards signs with Ed25519 and every service verifies offline.

A session token is a JWT (EdDSA) carrying the member's id, nickname and role. Boards holds the
private key; the other services get only the public key from configuration and never call
boards to check a session. Embedded, when no keys are configured, one key pair is created in
the data folder on first use (mode 0600) and shared by the services of the process.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.schemas.boards import Role
from shared.settings import Mode, SinmunSettings

ALGORITHM = "EdDSA"
AUDIENCE = "sinmun"
ISSUER = "sinmun-boards"
KEY_FILE = "session-ed25519.pem"
SESSION_COOKIE = "sinmun_session"
CSRF_COOKIE = "sinmun_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


class SessionKeyError(RuntimeError):
    """The session keys are missing or unusable (a configuration error)."""


@dataclass(frozen=True)
class Session:
    member_id: str
    nickname: str
    role: Role
    session_id: str
    expires_at: datetime

    @property
    def is_staff(self) -> bool:
        return self.role in {Role.REPORTER, Role.EDITOR, Role.ADMIN}


class SessionSigner:
    def __init__(self, private_key: Ed25519PrivateKey, ttl: timedelta) -> None:
        self._key = private_key
        self._ttl = ttl

    def issue(self, member_id: str, nickname: str, role: Role) -> tuple[str, Session]:
        now = datetime.now(UTC).replace(microsecond=0)
        session = Session(member_id, nickname, role, uuid.uuid4().hex, now + self._ttl)
        claims = {
            "sub": member_id, "nick": nickname, "role": role.value, "sid": session.session_id,
            "iat": now, "exp": session.expires_at, "aud": AUDIENCE, "iss": ISSUER,
        }  # fmt: skip
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), session


class SessionVerifier:
    def __init__(self, public_key: Ed25519PublicKey) -> None:
        self._key = public_key

    def verify(self, token: str) -> Session | None:
        """The session a token proves, or None (bad signature, expired, malformed)."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                options={"require": ["sub", "exp", "iat", "sid"]},
            )  # fmt: skip
            return Session(
                str(claims["sub"]), str(claims["nick"]), Role(claims["role"]), str(claims["sid"]),
                datetime.fromtimestamp(int(claims["exp"]), UTC),
            )  # fmt: skip
        except (jwt.PyJWTError, KeyError, ValueError):
            return None


def new_private_key_pem() -> str:
    """A fresh Ed25519 signing key as PKCS#8 PEM (what SINMUN_BOARDS_SESSION_PRIVATE_KEY holds)."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def _embedded_private_key(data_dir: Path) -> Ed25519PrivateKey:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_private_key_pem())
    return private_key_from_pem(path.read_bytes())


def private_key_from_pem(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SessionKeyError("the session private key is not an Ed25519 key")
    return key


def public_key_pem(private_key: Ed25519PrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_key_for(settings: SinmunSettings, configured: str | None) -> Ed25519PrivateKey:
    """Boards' signing key: configured (PEM), else embedded's key file."""
    if configured:
        return private_key_from_pem(configured.encode())
    if settings.mode is Mode.EMBEDDED:
        return _embedded_private_key(settings.data_dir)
    raise SessionKeyError(
        "SINMUN_BOARDS_SESSION_PRIVATE_KEY is not set (an Ed25519 PEM; `sinmun keys session` "
        "makes one)"
    )


def sessions_configured(settings: SinmunSettings) -> bool:
    """Whether this process can verify sessions: a public key is configured, or embedded."""
    return bool(settings.session_public_key) or settings.mode is Mode.EMBEDDED


def session_verifier(settings: SinmunSettings) -> SessionVerifier:
    """A verifier from SINMUN_SESSION_PUBLIC_KEY, else (embedded) the key file's public half."""
    if settings.session_public_key:
        key = serialization.load_pem_public_key(settings.session_public_key.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise SessionKeyError("SINMUN_SESSION_PUBLIC_KEY is not an Ed25519 public key")
        return SessionVerifier(key)
    if settings.mode is Mode.EMBEDDED:
        return SessionVerifier(_embedded_private_key(settings.data_dir).public_key())
    raise SessionKeyError("SINMUN_SESSION_PUBLIC_KEY is not set (boards' Ed25519 public key)")
