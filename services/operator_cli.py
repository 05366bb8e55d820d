"""`sinmun dlq list|replay` and `sinmun config reference`: operators' tools.

The dead-letter commands work on whichever bus the settings choose (embedded: the data
folder's log; distributed: Kafka, with `SINMUN_KAFKA_NAMESPACE`), as every other command does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from shared.dlq import DeadLetter, dlq_name, read_dead_letters, replay_dead_letters
from shared.settings import SinmunSettings

COMMANDS = ("dlq", "config")
DEFAULT_REFERENCE = Path("docs/configuration.md")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = commands.add_parser("dlq", help="dead letters: records consumers could not process")
    sub = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = sub.add_parser("list", help="show dead letters with reason, first-seen time, key")
    replay = sub.add_parser(
        "replay", help="send dead letters back to their topic (original bytes and headers)"
    )
    for parser in (listing, replay):
        parser.add_argument("topic", help="the source topic (or its .dlq), e.g. articles.submitted")
        parser.add_argument("--data-dir", type=Path, help="embedded data folder (default ./data)")
    listing.add_argument("--limit", type=int, default=20, help="per partition (default 20)")
    listing.add_argument(
        "--from", dest="start", type=int, help="first dead-letter offset (default: the newest)"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    replay.add_argument("--limit", type=int, default=1000, help="per partition (default 1000)")
    replay.add_argument(
        "--from", dest="start", type=int, default=0, help="first dead-letter offset (default 0)"
    )

    config = commands.add_parser("config", help="the settings")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    reference = config_sub.add_parser(
        "reference", help="write the configuration reference generated from the settings models"
    )
    reference.add_argument(
        "--out", type=Path, default=DEFAULT_REFERENCE, help=f"default {DEFAULT_REFERENCE}"
    )


def run(args: argparse.Namespace) -> int:
    if args.command == "config":
        from services.config_reference import write_reference

        print(write_reference(args.out))
        return 0
    return asyncio.run(_dlq(args))


def _settings(args: argparse.Namespace) -> SinmunSettings:
    overrides: dict[str, object] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    return SinmunSettings(**overrides)  # type: ignore[arg-type]


async def _dlq(args: argparse.Namespace) -> int:
    from services.bootstrap import make_bus

    if args.limit < 1:
        print("sinmun: --limit must be at least 1")
        return 2
    bus = make_bus(_settings(args))
    await bus.start()
    try:
        if args.dlq_command == "list":
            letters = await read_dead_letters(bus, args.topic, limit=args.limit, start=args.start)
            for letter in letters:
                print(json.dumps(letter.summary(), ensure_ascii=False) if args.json
                      else line(letter))  # fmt: skip
            if not args.json:
                print(f"{len(letters)} dead letters shown from {dlq_name(args.topic)}")
            return 0
        report = await replay_dead_letters(
            bus, args.topic, limit=args.limit, start=args.start,
            on_sent=lambda letter: print("replayed", line(letter)),
        )  # fmt: skip
        print(f"{report.sent} dead letters sent back; next --from per partition: "
              f"{report.resume_hint() or '-'}")  # fmt: skip
        return 0
    finally:
        await bus.stop()


def line(letter: DeadLetter) -> str:
    """One dead letter for a terminal: where it is, when, its key, why, where it came from."""
    record = letter.record
    details = "" if letter.details is None else " " + json.dumps(letter.details, ensure_ascii=False)
    return (
        f"{record.partition}@{record.offset}  {letter.first_seen}  key={record.key}  "
        f"{letter.reason}{details}  from {letter.source_topic}[{letter.position}] "
        f"group={letter.group} attempts={letter.attempts}"
    )
