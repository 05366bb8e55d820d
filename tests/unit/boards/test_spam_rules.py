"""Anti-spam text rules and their configuration (no I/O: the rates are in the integration tests)."""

from __future__ import annotations

from typing import cast

import pytest
from pydantic import ValidationError

from services.boards.settings import BoardsSettings
from services.boards.spam import DEFAULT_BLOCKLIST, SpamGuard
from shared.errors import ServiceError
from shared.ports.storage import Collection


def guard(*patterns: str) -> SpamGuard:
    # The text checks never touch the counters' collection.
    return SpamGuard(cast(Collection, None), patterns or DEFAULT_BLOCKLIST)


def refusal(*texts: str, trusted: bool = False, honeypot: str | None = None) -> str | None:
    try:
        guard().check_text(*texts, honeypot=honeypot, trusted=trusted)
    except ServiceError as exc:
        return exc.code
    return None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("https://a.example https://b.example", None),
        ("https://www.a.example/x, www.b.example", None),  # two links, not four
        ("https://a.example http://b.example www.c.example", "too_many_links"),
        ("무담보 대출 상담", "blocked_content"),
        ("ＯＫ 신용불량 대출 OK", "blocked_content"),
        ("무담보　대출", "blocked_content"),  # an ideographic space is still a space (NFKC)
        ("영일대 야경 사진", None),
    ],
)
def test_text_rules(text: str, code: str | None) -> None:
    assert refusal("제목", text) == code


def test_trusted_members_may_link_more_but_never_post_blocked_words() -> None:
    many = " ".join(f"https://{n}.example" for n in range(5))
    assert refusal(many, trusted=True) is None
    assert refusal("바카라 " + many, trusted=True) == "blocked_content"
    assert refusal("안녕하세요", honeypot="x") == "spam_detected"


def test_the_blocklist_is_read_from_the_environment_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SINMUN_BOARDS_BLOCKLIST", '["불법\\\\s*촬영", "spam\\\\d+"]')
    assert BoardsSettings().boards_blocklist == [r"불법\s*촬영", r"spam\d+"]
    with pytest.raises(ValidationError, match="not a regex"):
        BoardsSettings(boards_blocklist=["(unclosed"])
