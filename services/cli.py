"""The `sinmun` command: run the platform, run one service, export the event schemas."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import structlog
import uvloop
from aiohttp import web

from services import operator_cli, topics_cli
from services.ingest.tokens import TokenRole
from shared.logs import configure_logging
from shared.schemas.boards import Role
from shared.settings import Mode, SinmunSettings
from shared.telemetry import configure_tracing, shutdown_tracing

SERVICE_NAMES = ("ingest", "search", "boards", "render")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sinmun", description="Sinmun news platform")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run all four services in one process (embedded)")
    _add_server_options(up)
    up.add_argument("--data-dir", type=Path, help="where embedded data lives (default ./data)")

    serve = commands.add_parser("serve", help="run one service on Kafka/MongoDB (distributed)")
    serve.add_argument("service", choices=SERVICE_NAMES)
    _add_server_options(serve)

    token = commands.add_parser("token", help="API tokens of reporters, editors and partners")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="print a new token (its last line)")
    create.add_argument("--role", required=True, choices=[r.value for r in TokenRole])
    create.add_argument("--name", required=True, help="who holds it (a partner: its source)")
    create.add_argument("--data-dir", type=Path, help="embedded data folder (default ./data)")
    revoke = token_commands.add_parser("revoke", help="revoke every token of NAME")
    revoke.add_argument("name")
    revoke.add_argument("--data-dir", type=Path, help="embedded data folder (default ./data)")

    ingest = commands.add_parser("ingest", help="send a JSONL file of submissions through ingest")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--data-dir", type=Path, help="embedded data folder (default ./data)")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")

    member = commands.add_parser("member", help="community members")
    member_commands = member.add_subparsers(dest="member_command", required=True)
    add = member_commands.add_parser(
        "create", help="create a member (password from stdin's first line, or a prompt)"
    )
    add.add_argument("--role", required=True, choices=[r.value for r in Role if r != Role.READER])
    add.add_argument("--email", required=True)
    add.add_argument("--nickname", required=True)
    add.add_argument("--data-dir", type=Path, help="embedded data folder (default ./data)")
    promote = member_commands.add_parser("role", help="give a member (by email or nickname) a role")
    promote.add_argument("login", help="the member's email or nickname")
    promote.add_argument(
        "--role", required=True, choices=[r.value for r in Role if r != Role.READER]
    )
    promote.add_argument("--data-dir", type=Path, help="embedded data folder (default ./data)")

    keys = commands.add_parser("keys", help="key material")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    key_commands.add_parser(
        "session", help="print a new Ed25519 key pair for member sessions (private, then public)"
    )

    search = commands.add_parser("search", help="the search index")
    search_commands = search.add_subparsers(dest="search_command", required=True)
    rebuild = search_commands.add_parser(
        "reindex", help="rebuild the index from articles.published and swap it in, no downtime"
    )
    rebuild.add_argument("--data-dir", type=Path, help="embedded data folder (default ./data)")
    rebuild.add_argument("--keep-old", action="store_true", help="keep the previous generation")
    rebuild.add_argument(
        "--posts", action="store_true", help="rebuild the board posts' index from boards.events"
    )

    schemas = commands.add_parser("schemas", help="event schemas for partners")
    schema_commands = schemas.add_subparsers(dest="schemas_command", required=True)
    export = schema_commands.add_parser(
        "export", help="write docs/schemas, docs/asyncapi.yaml and docs/openapi"
    )
    export.add_argument("--out", type=Path, default=Path("docs"), help="docs folder (default docs)")
    topics_cli.add_parser(commands)
    operator_cli.add_parsers(commands)  # dlq, config
    return parser


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="bind address (default 127.0.0.1, SINMUN_HOST)")
    parser.add_argument("--port", type=int, help="HTTP port (default 8080, SINMUN_PORT)")


def settings_from(args: argparse.Namespace, mode: Mode | str) -> SinmunSettings:
    overrides: dict[str, object] = {"mode": mode}
    for option in ("host", "port", "data_dir"):
        value = getattr(args, option, None)
        if value is not None:
            overrides[option] = value
    return SinmunSettings(**overrides)  # type: ignore[arg-type]


def run_server(settings: SinmunSettings, names: list[str]) -> None:
    from services.bootstrap import create_app

    configure_logging(settings.log_level, settings.log_format)
    configure_tracing(settings.trace_exporter, service_name="sinmun-" + "-".join(names),
                      otlp_endpoint=settings.trace_otlp_endpoint)  # fmt: skip
    log = structlog.get_logger("sinmun")
    app = create_app(settings, names)
    if "ingest" in names:
        from services.ingest.app import tune_garbage_collection

        app.on_startup.append(tune_garbage_collection)  # last: after every service started
    url = f"http://{settings.host}:{settings.port}"
    log.info("starting", services=names, mode=settings.mode.value, url=url)
    try:
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            # uvloop: the same asyncio API on libuv, a faster loop for a busy server.
            loop=uvloop.new_event_loop(),
            print=lambda _: print(f"Sinmun ({', '.join(names)}) is up at {url}", flush=True),
            access_log=None,
            shutdown_timeout=10,
        )
    except OSError as exc:
        print(f"sinmun: cannot serve on {url}: {exc.strerror or exc}", file=sys.stderr)
        sys.exit(1)
    shutdown_tracing()  # flush the spans still queued
    log.info("stopped")


async def token_command(args: argparse.Namespace) -> int:
    from services.bootstrap import open_storage
    from services.ingest.tokens import TokenNameTakenError, TokenStore

    settings = settings_from(args, SinmunSettings().mode)
    storage = await open_storage(settings, "ingest")
    try:
        tokens = await TokenStore.open(storage)
        if args.token_command == "create":
            try:
                token = await tokens.create(args.name, TokenRole(args.role))
            except TokenNameTakenError as exc:
                print(f"sinmun: {exc}", file=sys.stderr)
                return 1
            print(f"token for {args.role} {args.name!r} (shown once, store it safely):")
            print(token)
            return 0
        if await tokens.revoke(args.name):
            print(f"revoked {args.name!r}")
            return 0
        print(f"sinmun: no token named {args.name!r}", file=sys.stderr)
        return 1
    finally:
        await storage.close()


async def ingest_command(args: argparse.Namespace) -> int:
    from services.bootstrap import open_ingestor

    if not args.file.is_file():
        print(f"sinmun: no such file {args.file}", file=sys.stderr)
        return 2
    settings = settings_from(args, SinmunSettings().mode)
    async with open_ingestor(settings) as ingestor:
        from services.ingest.backfill import backfill

        report = await backfill(
            ingestor, args.file, settings.data_dir / "backfill", not args.no_progress
        )
    for rejected in report.rejected:
        print(f"line {rejected['line']}: {rejected['code']} {rejected['details']}", file=sys.stderr)
    print(report.summary())
    return 1 if report.rejected else 0


async def member_command(args: argparse.Namespace) -> int:
    """Members from the command line; each change is announced on members.events."""
    from services.boards.member_events import change_role
    from services.boards.members import MemberStore, TakenError
    from services.boards.outbox import BoardsOutbox
    from services.bootstrap import open_infrastructure

    password = ""
    if args.member_command == "create":
        password = _new_password(args.email, args.nickname)
        if not password:
            return 1
    settings = settings_from(args, SinmunSettings().mode)
    async with open_infrastructure(settings) as infra:
        storage = await infra.open_storage("boards")
        try:
            members = await MemberStore.open(storage)
            outbox = await BoardsOutbox.open(storage, infra.bus)
            if args.member_command == "role":
                login = args.login.strip()
                found = await (members.by_email(login) if "@" in login
                               else members.by_nickname(login))  # fmt: skip
                if found is None:
                    print(f"sinmun: no member {login!r}", file=sys.stderr)
                    return 1
                member, _ = await change_role(members, outbox, found.member_id,
                                              Role(args.role), by="cli")  # fmt: skip
                print(f"{member.nickname!r} is {member.role.value}")
                return 0
            from services.boards.passwords import hash_password

            try:
                created = await members.create(
                    args.email, args.nickname, hash_password(password), Role(args.role)
                )
            except TakenError as exc:
                print(f"sinmun: that {exc.field} is already registered", file=sys.stderr)
                return 1
            if not await outbox.relay("members", created.member_id, created.document()):
                print("sinmun: the bus is down; the service will announce the member later")
        finally:
            await storage.close()
    print(f"created {created.role.value} {created.nickname!r} ({created.member_id})")
    return 0


def _new_password(email: str, nickname: str) -> str:
    """The password from a prompt or stdin's first line; empty (after saying why) if weak."""
    import getpass

    from services.boards.passwords import weakness

    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\n")
    problem = weakness(password, email, nickname)
    if problem:
        print(f"sinmun: {problem}", file=sys.stderr)
        return ""
    return password


def keys_command() -> int:
    from shared.sessions import new_private_key_pem, private_key_from_pem, public_key_pem

    private = new_private_key_pem()
    print("# SINMUN_BOARDS_SESSION_PRIVATE_KEY (boards only; keep it secret)")
    print(private.strip())
    print("# SINMUN_SESSION_PUBLIC_KEY (every service)")
    print(public_key_pem(private_key_from_pem(private.encode())).strip())
    return 0


async def search_command(args: argparse.Namespace) -> int:
    from services.bootstrap import make_bus
    from services.search.analysis import KiwiAnalyzer
    from services.search.app import open_index
    from services.search.reindex import reindex

    settings = settings_from(args, SinmunSettings().mode)
    kind = "posts" if args.posts else "articles"
    bus = make_bus(settings)
    index = open_index(settings, kind)
    await bus.start()
    try:
        report = await reindex(
            index, bus, KiwiAnalyzer(), kind=kind, keep_previous=args.keep_old, on_progress=print
        )
    finally:
        await index.close()
        await bus.stop()
    print(
        f"generation {report.generation} live with {report.documents} {kind} "
        f"(was {report.previous}) in {report.seconds:.1f} s"
    )
    return 0


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command == "token":
        sys.exit(asyncio.run(token_command(args)))
    if args.command == "ingest":
        sys.exit(asyncio.run(ingest_command(args)))
    if args.command == "search":
        sys.exit(asyncio.run(search_command(args)))
    if args.command == "member":
        sys.exit(asyncio.run(member_command(args)))
    if args.command == "keys":
        sys.exit(keys_command())
    if args.command == "topics":
        sys.exit(topics_cli.run(args))
    if args.command in operator_cli.COMMANDS:
        sys.exit(operator_cli.run(args))
    if args.command == "up":
        run_server(settings_from(args, Mode.EMBEDDED), list(SERVICE_NAMES))
    elif args.command == "serve":
        run_server(settings_from(args, Mode.DISTRIBUTED), [args.service])
    elif args.command == "schemas":
        from services.openapi_export import openapi_documents
        from shared.schema_export import export_all

        for path in export_all(args.out, openapi_documents()):
            print(path)
    sys.exit(0)
