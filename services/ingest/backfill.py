"""`sinmun ingest FILE.jsonl`: a file of submissions through the same path as HTTP.

Progress is checkpointed (lines done, and the file's digest) under the data folder, so an
interrupted run resumes where it stopped; repeating lines is harmless anyway, because an
identical resubmission changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from services.ingest.submissions import Ingestor, parse_submission
from shared.errors import ServiceError

CHECKPOINT_EVERY = 25


@dataclass
class BackfillReport:
    outcomes: Counter[str] = field(default_factory=Counter)
    rejected: list[dict[str, object]] = field(default_factory=list)
    resumed_at: int = 0

    def summary(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return f"{counts or 'nothing to do'} (resumed at line {self.resumed_at + 1})"


class Checkpoint:
    def __init__(self, folder: Path, source: Path) -> None:
        self.digest = hashlib.sha256(source.read_bytes()).hexdigest()
        self.path = folder / f"{source.stem}-{self.digest[:16]}.json"

    def load(self) -> int:
        if not self.path.exists():
            return 0
        state = json.loads(self.path.read_text("utf-8"))
        return int(state["done"]) if state.get("digest") == self.digest else 0

    def save(self, done: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"digest": self.digest, "done": done}), "utf-8")
        tmp.replace(self.path)  # atomic: a crash leaves the old or the new checkpoint


async def backfill(
    ingestor: Ingestor, source: Path, checkpoints: Path, show_progress: bool = True
) -> BackfillReport:
    lines = (await asyncio.to_thread(source.read_text, "utf-8")).splitlines()
    checkpoint = Checkpoint(checkpoints, source)
    report = BackfillReport(resumed_at=checkpoint.load())
    bar = tqdm(
        total=len(lines), initial=report.resumed_at, unit="article", disable=not show_progress
    )
    for number in range(report.resumed_at, len(lines)):
        outcome = await _one(ingestor, lines[number], number + 1, report)
        report.outcomes[outcome] += 1
        bar.update(1)
        if (number + 1) % CHECKPOINT_EVERY == 0:
            checkpoint.save(number + 1)
    checkpoint.save(len(lines))
    bar.close()
    return report


async def _one(ingestor: Ingestor, line: str, number: int, report: BackfillReport) -> str:
    if not line.strip():
        return "blank"
    try:
        document = json.loads(line)
        if not isinstance(document, dict):
            raise ServiceError(400, "malformed_json", "a line must be a JSON object")
        receipt = await ingestor.submit(parse_submission(document))
    except json.JSONDecodeError as exc:
        report.rejected.append({"line": number, "code": "malformed_json", "details": str(exc)})
        return "rejected"
    except ServiceError as exc:
        report.rejected.append({"line": number, "code": exc.code, "details": exc.details})
        return "rejected"
    return receipt.outcome.value
