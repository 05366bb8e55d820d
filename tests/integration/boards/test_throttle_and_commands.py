"""Login throttling in detail (both backends), and session keys from configuration."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from services.boards.throttle import LoginThrottle
from services.bootstrap import create_app
from shared.auth import VERIFIER, current_session
from shared.errors import ServiceError
from shared.schemas.boards import Role
from shared.service import INFRA
from shared.sessions import (
    SessionSigner,
    new_private_key_pem,
    private_key_for,
    private_key_from_pem,
    public_key_pem,
    session_verifier,
)
from shared.settings import Mode, SinmunSettings
from tests.integration.boards.conftest import Boards, ClientFactory


async def test_locks_double_and_are_kept_per_key(boards: Boards) -> None:
    storage = await boards.app[INFRA].open_storage("boards")
    throttle = await LoginThrottle.open(storage, max_failures=2, window_s=600, lock_s=10)
    await throttle.failed("acct:a", "ip:1")
    assert await throttle.wait_s("acct:a", "ip:1") == 0
    await throttle.failed("acct:a", "ip:1")
    assert 9 <= await throttle.wait_s("acct:a") <= 10
    assert 9 <= await throttle.wait_s("ip:1") <= 10
    assert await throttle.wait_s("acct:b", "ip:2") == 0  # other accounts, other addresses
    await throttle.failed("acct:a")
    assert 19 <= await throttle.wait_s("acct:a") <= 20  # the next lock is twice as long
    for _ in range(2):  # another account from the same address: the address is slowed
        await throttle.failed("acct:c", "ip:3")
    assert await throttle.wait_s("acct:fresh", "ip:3") > 0
    await throttle.succeeded("acct:a")
    assert await throttle.wait_s("acct:a") == 0
    assert await throttle.wait_s("ip:1") > 0  # the address stays slowed
    await storage.close()


def test_configured_keys_sign_and_verify_across_services(tmp_path: Path) -> None:
    keys = subprocess.run(
        [sys.executable, "-c", "from services.cli import main; main()", "keys", "session"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    private, public = keys.split("# SINMUN_SESSION_PUBLIC_KEY (every service)\n")
    private = private.split("\n", 1)[1]
    distributed = SinmunSettings(mode=Mode.DISTRIBUTED, session_public_key=public)
    signer = SessionSigner(private_key_for(distributed, private), timedelta(minutes=5))
    token, _ = signer.issue("m1", "포항사람", Role.EDITOR)
    session = session_verifier(distributed).verify(token)
    assert session is not None and (session.member_id, session.role) == ("m1", Role.EDITOR)
    other = SinmunSettings(mode=Mode.EMBEDDED, data_dir=tmp_path)  # another key pair
    assert session_verifier(other).verify(token) is None


async def test_other_services_verify_sessions_with_the_public_key_alone(
    tmp_path: Path, aiohttp_client: ClientFactory
) -> None:
    boards_key = new_private_key_pem()
    public = public_key_pem(private_key_from_pem(boards_key.encode()))
    settings = SinmunSettings(mode=Mode.EMBEDDED, data_dir=tmp_path, session_public_key=public)
    app = create_app(settings, ["ingest"])  # a process without boards
    await aiohttp_client(app)
    signer = SessionSigner(private_key_from_pem(boards_key.encode()), timedelta(minutes=5))
    token, _ = signer.issue("m1", "포항사람", Role.REPORTER)
    session = app[VERIFIER].verify(token)
    assert session is not None and (session.nickname, session.role) == ("포항사람", Role.REPORTER)
    forger = SessionSigner(private_key_from_pem(new_private_key_pem().encode()), timedelta(1))
    assert app[VERIFIER].verify(forger.issue("m1", "포항사람", Role.ADMIN)[0]) is None


async def test_a_service_without_the_public_key_answers_503_not_anonymous() -> None:
    request = make_mocked_request(
        "GET", "/x", headers={"Authorization": "Bearer x"}, app=web.Application()
    )
    with pytest.raises(ServiceError) as refused:
        await current_session(request)
    assert (refused.value.status, refused.value.code) == (503, "sessions_unconfigured")
