"""The password policy judges every length the sign-up form accepts."""

from __future__ import annotations

import pytest

from services.boards.passwords import MAX_LENGTH, weakness


@pytest.mark.parametrize("length", [72, 73, 100, MAX_LENGTH])
def test_a_long_passphrase_is_judged_not_a_crash(length: int) -> None:
    # zxcvbn raises ValueError past 72 characters; sign-up answered 500 to such passphrases.
    passphrase = ("영일만-등대-호미곶-" * 30)[:length]
    assert weakness(passphrase, "reader@example.kr", "포항사람") is None


def test_a_long_but_common_password_is_still_refused() -> None:
    assert weakness("password" * 12, "reader@example.kr") is not None
