"""Login throttling in detail, session keys from configuration, and `sinmun member create`."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from services.boards.members import MemberStore
from services.boards.passwords import verify_password
from services.boards.throttle import LoginThrottle
from shared.adapters.sqlite_store import SqliteStorage
from shared.schemas.boards import Role
from shared.sessions import SessionSigner, private_key_for, session_verifier
from shared.settings import Mode, SinmunSettings


async def test_locks_double_and_are_kept_per_key(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "boards.sqlite3")
    await storage.open()
    throttle = await LoginThrottle.open(storage, max_failures=2, window_s=600, lock_s=10)
    await throttle.failed("acct:a", "ip:1")
    assert await throttle.wait_s("acct:a", "ip:1") == 0
    await throttle.failed("acct:a", "ip:1")
    assert 9 <= await throttle.wait_s("acct:a") <= 10
    assert await throttle.wait_s("acct:b", "ip:2") == 0  # other accounts, other addresses
    await throttle.failed("acct:a")
    assert 19 <= await throttle.wait_s("acct:a") <= 20  # the next lock is twice as long
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


def create_member(
    data: Path, email: str, nickname: str, password: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from services.cli import main; main()", "member", "create",
               "--role", "admin", "--email", email, "--nickname", nickname,
               "--data-dir", str(data)]  # fmt: skip
    return subprocess.run(command, input=password + "\n", capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


async def test_member_create_makes_an_admin_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = create_member(data, "desk@example.kr", "편집국", "편집국-비밀번호-2026")
    assert made.returncode == 0, made.stderr
    assert "created admin '편집국'" in made.stdout
    weak = create_member(data, "b@example.kr", "둘째", "password123")
    assert weak.returncode == 1 and "too common" in weak.stderr
    storage = SqliteStorage(data / "boards.sqlite3")
    await storage.open()
    member = await (await MemberStore.open(storage)).by_email("desk@example.kr")
    await storage.close()
    assert member is not None and member.role is Role.ADMIN
    assert verify_password(member.password_hash, "편집국-비밀번호-2026")
