"""The real platform for the browser tests: `sinmun up` in its own process, seeded as an
operator would (the `sinmun` command and the public HTTP API), stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ARTIFACTS = ROOT / ".local" / "artifacts"
SINMUN = [sys.executable, "-c", "from services.cli import main; main()"]

SITE_NAME = "시험일보"  # not the default, so the page shows what configuration says
REPORTER_EMAIL = "reporter@e2e.example"
REPORTER_NICK = "강기자"
REPORTER_PASSWORD = "영일만-등대-취재수첩-2026"
REPORTER_HEADLINE = "기사쓰기 화면으로 송고한 포항 운하 야간 축제 소식"
UPDATED_HEADLINE = "포항 영일대 해상누각 보수 공사 마무리"
MEMBER_EMAIL = "reader@e2e.example"
MEMBER_NICK = "죽도시장단골"
MEMBER_PASSWORD = "호미곶-일출-구경-2026"
POST_TITLE = "영일대 야경 사진 공유합니다"
POST_BODY = "어제 저녁 영일대 해수욕장 야경이 참 좋습니다. 다들 한번 가 보세요."


@dataclass(frozen=True)
class Platform:
    base: str
    data_dir: Path
    token: str  # a newsroom API token (reporter) for seeding through POST /api/articles
    seed_id: str  # the seed page's article
    retracted_id: str  # an article published and then retracted
    post_id: str  # POST_TITLE on 자유게시판, by MEMBER_NICK

    def url(self, path: str) -> str:
        return self.base + path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sinmun(args: list[str], data_dir: Path, stdin: str = "") -> str:
    """One `sinmun` command against the embedded data folder; its stdout (fails loudly)."""
    done = subprocess.run(
        [*SINMUN, *args, "--data-dir", str(data_dir)],
        check=False, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120,
        env={**os.environ, "SINMUN_LOG_LEVEL": "WARNING"},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"sinmun {' '.join(args)} failed: {done.stdout}\n{done.stderr}")
    return done.stdout


def request(
    url: str, body: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    """A JSON request; (status, decoded body) also for 4xx/5xx."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    call = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"raw": raw.decode(errors="replace")}


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def wait_until(what: str, check: Any, budget_s: float = 30.0) -> None:
    """Poll `check()` until it is true; the read models are fed by events, so pages lag."""
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out after {budget_s:.0f} s waiting for {what}")


def start_platform(data_dir: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SINMUN_LOG_LEVEL": "WARNING",
        "SINMUN_RENDER_SITE_NAME": SITE_NAME,
        # Canonical and share URLs then point at this very server.
        "SINMUN_RENDER_PUBLIC_URL": base,
        # 많이본 뉴스 recomputed every 2 s (10 s by default) keeps the test short.
        "SINMUN_RENDER_MOST_VIEWED_REFRESH_S": "2",
    }
    process = subprocess.Popen(
        [*SINMUN, "up", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sinmun up exited with {process.returncode}; see {log_path}")
        if _healthy(base):
            return process, base
        time.sleep(0.1)
    stop_platform(process)
    raise RuntimeError(f"sinmun up did not answer /healthz within 60 s; see {log_path}")


def _healthy(base: str) -> bool:
    try:
        return status_of(base + "/healthz") == 200
    except OSError:
        return False


def stop_platform(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    return int(process.returncode)


def prepare(data_dir: Path) -> str:
    """Before the server starts: a reporter member and a newsroom API token (its value)."""
    sinmun(
        ["member", "create", "--role", "reporter", "--email", REPORTER_EMAIL,
         "--nickname", REPORTER_NICK],
        data_dir, stdin=REPORTER_PASSWORD + "\n",
    )  # fmt: skip
    out = sinmun(["token", "create", "--role", "reporter", "--name", "e2e-desk"], data_dir)
    return out.strip().splitlines()[-1]  # the token is the last line


def seed(base: str, data_dir: Path, token: str) -> tuple[str, str, str]:
    """The corpus through `sinmun ingest`, the seed article and a retracted one through the
    API, a member and their post on 자유게시판; waits until render shows them.
    (seed id, retracted id, post id)"""
    post_id = seed_board(base)
    sinmun(["ingest", str(DATA / "articles.jsonl"), "--no-progress"], data_dir)
    seed_article = json.loads((DATA / "seed_article.json").read_text(encoding="utf-8"))
    status, receipt = request(base + "/api/articles", seed_article, token)
    assert status in (200, 201), receipt
    seed_id = str(receipt["article_id"])
    doomed = {
        **seed_article,
        "guid": "e2e-retracted",
        "headline": "오보로 확인돼 철회된 시험 기사",
        "published_at": "2026-09-01T09:00:00+09:00",
    }
    status, receipt = request(base + "/api/articles", doomed, token)
    assert status in (200, 201), receipt
    retracted_id = str(receipt["article_id"])
    # Withdrawn at once: per-key order and versions make the retraction win in render.
    status, receipt = request(base + "/api/articles", {**doomed, "status": "retracted"}, token)
    assert status == 202, receipt
    # The pages lag the events a little; the seed article is what nearly every test reads.
    wait_until("the seed article's page", lambda: status_of(f"{base}/news/{seed_id}") == 200)
    return seed_id, retracted_id, post_id


def seed_board(base: str) -> str:
    """A member signs up and posts through the boards API; the post's id."""
    member = {"email": MEMBER_EMAIL, "nickname": MEMBER_NICK, "password": MEMBER_PASSWORD}
    status, body = request(base + "/api/members", member)
    assert status == 201, body
    status, body = request(
        base + "/api/sessions", {"login": MEMBER_EMAIL, "password": MEMBER_PASSWORD}
    )
    assert status == 200, body
    post = {"title": POST_TITLE, "body_text": POST_BODY}
    status, body = request(base + "/api/boards/free/posts", post, str(body["token"]))
    assert status == 201, body
    return str(body["post"]["post_id"])


def corpus_headlines() -> list[str]:
    rows = (DATA / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    seed_article = json.loads((DATA / "seed_article.json").read_text(encoding="utf-8"))
    return [
        *(json.loads(row)["headline"] for row in rows if row.strip()),
        seed_article["headline"],
        REPORTER_HEADLINE,  # the tests may have written these two before
        UPDATED_HEADLINE,
    ]
