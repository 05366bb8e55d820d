"""Boards' own settings (beside the shared SinmunSettings)."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator

from services.boards.catalog import DEFAULT_BOARDS, BoardConfig
from services.boards.spam import DEFAULT_BLOCKLIST
from shared.settings import SinmunSettings


class BoardsSettings(SinmunSettings):
    boards_boards: dict[str, BoardConfig] = Field(
        default_factory=lambda: dict(DEFAULT_BOARDS),
        description='the boards as JSON {slug: {"name", "write": "member"|"staff", "comment"}}',
    )
    boards_blocklist: list[str] = Field(
        default_factory=lambda: list(DEFAULT_BLOCKLIST),
        description="JSON list of regular expressions refused in posts and comments "
        "(defaults: loan, gambling and side-job spam)",
    )
    boards_trust_days: float = Field(
        default=3.0,
        ge=0,
        description="days before a new member's posts are no longer rate- and link-limited",
    )
    boards_session_private_key: SecretStr = Field(
        default=SecretStr(""),
        description="Ed25519 private key (PEM) that signs member sessions (secret!; embedded: "
        "a key file in the data folder when empty)",
    )
    boards_session_ttl_s: int = Field(default=43_200, ge=60, description="session lifetime")
    boards_cookie_secure: bool = Field(
        default=False, description="mark cookies Secure (set it when the site is served on https)"
    )
    boards_login_max_failures: int = Field(
        default=5, ge=1, description="failed logins (per account, per IP) before slowing down"
    )
    boards_login_window_s: int = Field(
        default=900, ge=1, description="how long failed logins are remembered"
    )
    boards_login_lock_s: int = Field(
        default=30, ge=1, description="first wait after too many failures (doubles each time)"
    )

    @field_validator("boards_blocklist")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        """A pattern that is not a regular expression is a configuration error at start."""
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"blocklist pattern {pattern!r} is not a regex: {exc}") from exc
        return patterns
