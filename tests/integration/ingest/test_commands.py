"""`sinmun token …` and `sinmun ingest FILE.jsonl` as an operator runs them (embedded)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from services.ingest.backfill import Checkpoint
from services.ingest.tokens import TokenStore
from shared.adapters.sqlite_store import SqliteStorage

DATA = Path(__file__).parents[2] / "data"


def sinmun(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from services.cli import main; main()", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def verify(data_dir: Path, token: str) -> str | None:
    storage = SqliteStorage(data_dir / "ingest.sqlite3")
    await storage.open()
    try:
        principal = await (await TokenStore.open(storage)).verify(token)
        return None if principal is None else f"{principal.role.value}:{principal.name}"
    finally:
        await storage.close()


async def test_tokens_are_created_once_shown_and_revoked(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = sinmun(
        "token",
        "create",
        "--role",
        "reporter",
        "--name",
        "kang",
        "--data-dir",
        str(data),
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("snm_")
    assert await verify(data, token) == "reporter:kang"
    assert token not in (data / "ingest.sqlite3").read_bytes().decode(
        "utf-8", "replace"
    )  # only a hash
    again = sinmun(
        "token",
        "create",
        "--role",
        "editor",
        "--name",
        "kang",
        "--data-dir",
        str(data),
        cwd=tmp_path,
    )
    assert again.returncode == 1 and "exists" in again.stderr
    revoked = sinmun("token", "revoke", "kang", "--data-dir", str(data), cwd=tmp_path)
    assert revoked.returncode == 0
    assert await verify(data, token) is None
    assert sinmun("token", "revoke", "kang", "--data-dir", str(data), cwd=tmp_path).returncode == 1


def test_the_corpus_backfills_once_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    corpus = tmp_path / "articles.jsonl"
    corpus.write_bytes((DATA / "articles.jsonl").read_bytes())
    seed = tmp_path / "seed.jsonl"
    seed.write_text(
        json.dumps(json.loads((DATA / "seed_article.json").read_text("utf-8")), ensure_ascii=False)
    )

    Checkpoint(data / "backfill", corpus).save(10)  # an earlier run was interrupted after 10 lines
    first = sinmun("ingest", str(corpus), "--data-dir", str(data), "--no-progress", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("created 30 (resumed at line 11)")
    again = sinmun("ingest", str(corpus), "--data-dir", str(data), "--no-progress", cwd=tmp_path)
    assert again.stdout.strip() == "nothing to do (resumed at line 41)"
    assert (
        "created 1"
        in sinmun(
            "ingest", str(seed), "--data-dir", str(data), "--no-progress", cwd=tmp_path
        ).stdout
    )


def test_a_file_with_bad_lines_reports_them_and_keeps_the_good_ones(tmp_path: Path) -> None:
    lines = (DATA / "articles.jsonl").read_text("utf-8").splitlines()[:3]
    bad = json.loads(lines[1])
    bad["section"] = "seoul"
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([lines[0], json.dumps(bad, ensure_ascii=False), "{oops", lines[2]]))
    result = sinmun(
        "ingest", str(mixed), "--data-dir", str(tmp_path / "data"), "--no-progress", cwd=tmp_path
    )
    assert result.returncode == 1
    assert "line 2: unknown_section" in result.stderr and "line 3: malformed_json" in result.stderr
    assert "created 2" in result.stdout and "rejected 2" in result.stdout
