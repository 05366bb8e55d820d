"""Boards: members, sessions and community boards."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web

from services.boards import board_api, identity, openapi
from services.boards.members import MemberStore
from services.boards.outbox import BoardsOutbox
from services.boards.passwords import dummy_hash
from services.boards.posts import PostStore
from services.boards.reactions import ReactionStore
from services.boards.read_cache import PageCache, ViewCounter
from services.boards.settings import BoardsSettings
from services.boards.spam import SpamGuard
from services.boards.throttle import LoginThrottle
from shared.auth import VERIFIER
from shared.openapi import serve_document
from shared.ports.storage import DocumentStorage
from shared.service import Infrastructure
from shared.sessions import SessionSigner, SessionVerifier, private_key_for
from shared.web import PROBES


class BoardsService:
    name = "boards"

    def __init__(self) -> None:
        self.storage: DocumentStorage | None = None
        self.views: ViewCounter | None = None
        self.outbox: BoardsOutbox | None = None
        self._dummy_hash: asyncio.Future[str] | None = None

    def add_routes(self, app: web.Application) -> None:
        identity.add_routes(app)
        board_api.add_routes(app)
        serve_document(app, self.name, openapi.document)

    async def start(self, infra: Infrastructure, app: web.Application) -> None:
        settings = BoardsSettings(**infra.settings.model_dump())
        self.storage = await infra.open_storage(self.name)
        app[PROBES][f"{self.name}.storage"] = self.storage.ping
        # Unknown logins verify against this hash; argon2 releases the GIL, so it is made in a
        # thread while the server comes up instead of at import or on the first such login.
        self._dummy_hash = asyncio.get_running_loop().run_in_executor(None, dummy_hash)
        key = private_key_for(settings, settings.boards_session_private_key.get_secret_value())
        ttl = settings.boards_session_ttl_s
        members = await MemberStore.open(self.storage)
        self.outbox = outbox = await BoardsOutbox.open(self.storage, infra.bus)
        outbox.start()  # at once, then every 30 s: what a bus outage or a crash left
        app[identity.IDENTITY] = identity.IdentityDeps(
            members=members,
            throttle=await LoginThrottle.open(
                self.storage,
                settings.boards_login_max_failures,
                settings.boards_login_window_s,
                settings.boards_login_lock_s,
            ),
            signer=SessionSigner(key, timedelta(seconds=ttl)),
            outbox=outbox,
            cookie_secure=settings.boards_cookie_secure,
            session_ttl_s=ttl,
        )
        posts = await PostStore.open(self.storage)
        reactions = await ReactionStore.open(self.storage)
        self.views = ViewCounter(posts, reactions)
        self.views.start()
        app[board_api.BOARDS] = board_api.BoardDeps(
            boards=dict(settings.boards_boards),
            posts=posts,
            reactions=reactions,
            pages=PageCache(),
            views=self.views,
            members=members,
            spam=await SpamGuard.open(
                self.storage, settings.boards_blocklist, settings.boards_trust_days
            ),
            outbox=outbox,
        )
        if VERIFIER not in app:
            app[VERIFIER] = SessionVerifier(key.public_key())

    async def stop(self) -> None:
        if self.outbox is not None:
            await self.outbox.stop()
        if self.views is not None:
            await self.views.stop()  # the last counted views are written before closing
        if self.storage is not None:
            await self.storage.close()
