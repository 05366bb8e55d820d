"""Passwords: argon2id hashes, and a policy refusing short or common passwords.

"Common" is judged by zxcvbn, whose frequency lists hold the passwords leaked most often; a
password it scores 0 or 1 (e.g. `password123!`, `1q2w3e4r5t`, `qwertyuiop`) is refused, as is
one built from the member's own email or nickname.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 2
# zxcvbn judges at most this many characters (more raise ValueError) and takes longer the
# longer the text: a longer passphrase is judged by its first 72.
ZXCVBN_MAX_CHARS = 72

_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters


def weakness(password: str, *user_inputs: str) -> str | None:
    """Why a password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    judged = password[:ZXCVBN_MAX_CHARS]
    if zxcvbn(judged, user_inputs=[u for u in user_inputs if u])["score"] < MIN_SCORE:
        return "this password is too common or too easy to guess"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against for unknown accounts, so they take as long as known ones.

    Made on the first login, not at import: one argon2 hash is ~0.2 s of every start-up."""
    return hash_password("a password nobody has, to time unknown accounts alike")
