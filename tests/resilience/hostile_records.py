"""A corpus of malformed and hostile records for every consumed topic, and what must happen.

Each case is a key/value/headers triple as a producer puts it on the topic, and either the
reason a consumer must dead-letter it with (`reason`) or None: then it must be processed
(accepted, or knowingly ignored as stale) and never reach a dead-letter topic. Valid records
(`valid_*`) are what the corpus is interleaved with. The triples are built from the real
models, so a case differs from a valid record only in what it is named for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from shared.records import event_key
from shared.schemas import (
    Article,
    ArticlePublished,
    ArticleViewed,
    BoardPost,
    ClientClass,
    Envelope,
    Event,
    MemberJoined,
    PostCreated,
    Role,
)
from shared.signatures import SIGNATURE_HEADER, sign

UNDECODABLE = "undecodable_event"
MALFORMED = "malformed_json"
# What every text field of a hostile-but-valid record carries: markup that must never run.
SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
SHORT_SCRIPT = "<script>alert(1)</script>"  # fits a tag (50 characters)
Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class HostileRecord:
    """One record to produce, and its fate: dead-lettered for `reason`, or (None) processed."""

    name: str
    key: bytes | None
    value: bytes
    headers: Headers = ()
    reason: str | None = None
    # Needs a raw Kafka producer (repeated headers, a key that is not UTF-8): the embedded
    # log's port takes a str key and a header mapping, so it cannot even hold these.
    raw_kafka: bool = False
    creates: str | None = None  # the entity a processed record makes the service show

    @property
    def read_key(self) -> str | None:
        """The key as a consumer reads it (the bus decodes it as UTF-8)."""
        return None if self.key is None else self.key.decode("utf-8", "replace")


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def byte_level_cases(key_prefix: bytes, reason: str, large_size: int) -> list[HostileRecord]:
    """Values that are not a JSON object at all, the same on every topic; `very_large` is
    `large_size` bytes (a topic's record limit less a little)."""
    junk = {
        "not_utf8": b'{"headline": "\xff\xfe\xc3\x28"}',
        "latin1_text": '{"headline": "café"}'.encode("latin-1"),
        "empty_value": b"",
        "not_json": b"<html>this is not json</html>",
        "json_scalar": b"42",
        "json_string": b'"a string"',
        "json_array": b'[{"type": "ArticlePublished"}]',
        "json_null": b"null",
        "truncated_json": b'{"event_id": "0b7c", "type": "Art',
        "utf8_bom": b'\xef\xbb\xbf{"a": 1}',
        "deep_array_100k": b"[" * 100_000 + b"]" * 100_000,
        "deep_object_100k": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "very_large": b'{"pad": "' + b"x" * (large_size - 11) + b'"}',
    }
    return [
        HostileRecord(name, key_prefix + name.encode(), value, reason=reason)
        for name, value in junk.items()
    ]


# Headers a consumer must not trip over: bytes that are not UTF-8, empty values, odd names.
ODD_HEADERS: Headers = (
    ("traceparent", b"\xff\xfe-not-a-trace"),
    ("sinmun-event-type", b"\xc3\x28"),
    ("x-empty", b""),
    ("\u200bzero-width", b"\x00\x01"),
)


def header_cases(odd: HostileRecord, repeated: HostileRecord) -> list[HostileRecord]:
    """Valid records with odd headers, and with repeated ones (raw Kafka only)."""
    twice = (("sinmun-event-type", b"Nope"), ("sinmun-event-type", b"PostHidden"))
    return [
        replace(odd, name="odd_headers", headers=odd.headers + ODD_HEADERS),
        replace(
            repeated, name="repeated_headers", headers=repeated.headers + twice, raw_kafka=True
        ),
    ]


# --- enveloped topics: articles.published, boards.events, articles.viewed -------------------


def envelope_document(event: Event) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(Envelope.wrap(event, "test").model_dump_json())
    return loaded


def enveloped(name: str, key: str | None, document: dict[str, Any], **kw: Any) -> HostileRecord:
    return HostileRecord(name, None if key is None else key.encode(), _json(document), **kw)


def _without(document: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != field}


def envelope_cases(
    key: str, good: dict[str, Any], other_topic_event: Event, bad_payload: dict[str, Any]
) -> list[HostileRecord]:
    """Envelopes that are JSON objects but not events this topic can take.

    `good` is a valid envelope under `key`, `other_topic_event` a valid event that belongs
    on another topic, `bad_payload` a payload of `good`'s type that fails validation."""
    wrong_types = {
        "event_id": 5,
        "type": ["ArticlePublished"],
        "schema_version": "one",
        "occurred_at": "yesterday",
        "producer": {"name": "ingest"},
        "trace": "00-nope",
        "payload": "payload as a string",
    }
    cases = [
        enveloped(f"missing_{field}", key, _without(good, field), reason=UNDECODABLE)
        for field in ("event_id", "type", "schema_version", "occurred_at", "producer", "payload")
    ]
    cases += [
        enveloped(f"wrong_type_{field}", key, {**good, field: value}, reason=UNDECODABLE)
        for field, value in wrong_types.items()
    ]
    text = _json(good).decode()
    cases += [
        enveloped("naive_occurred_at", key, {**good, "occurred_at": "2026-09-02T10:15:00"},
                  reason=UNDECODABLE),
        enveloped("unknown_event_type", key, {**good, "type": "ArticleDeleted"},
                  reason=UNDECODABLE),
        enveloped("future_schema_version", key, {**good, "schema_version": 2},
                  reason=UNDECODABLE),
        enveloped("unknown_envelope_field", key, {**good, "priority": "urgent"},
                  reason=UNDECODABLE),
        enveloped("payload_invalid", key, {**good, "payload": bad_payload}, reason=UNDECODABLE),
        enveloped("event_of_another_topic", event_key_of(other_topic_event),
                  envelope_document(other_topic_event), reason="unexpected_event_type"),
        enveloped("key_not_matching_body", "someone-else", good, reason="key_mismatch"),
        enveloped("null_key", None, good, reason="key_mismatch"),
        HostileRecord("nan_in_payload", key.encode(),
                      text.replace('"schema_version": 1', '"schema_version": NaN').encode(),
                      reason=UNDECODABLE),
        HostileRecord("infinity_in_envelope", key.encode(),
                      text.replace('"schema_version": 1', '"schema_version": Infinity').encode(),
                      reason=UNDECODABLE),
        HostileRecord("lone_surrogate", key.encode(),
                      text.replace('"producer": "test"', '"producer": "te\\ud800st"').encode(),
                      reason=UNDECODABLE),
        HostileRecord("key_not_utf8", key.encode() + b"\xff", _json(good),
                      reason="key_mismatch", raw_kafka=True),
    ]  # fmt: skip
    return cases


def event_key_of(event: Event) -> str:
    found = event_key(event)
    assert found is not None
    return found


def duplicate_key_case(key: str, good: dict[str, Any], field: str, first: Any) -> HostileRecord:
    """`good` with `field` of its payload written twice, `first` before the real value: JSON
    parsers here (pydantic's, orjson) keep the last, so it is processed as `good`."""
    text = _json(good).decode()
    head = f'"{field}": '
    doubled = text.replace(head, head + json.dumps(first, ensure_ascii=False) + ", " + head, 1)
    return HostileRecord("duplicate_json_keys", key.encode(), doubled.encode())


@dataclass(frozen=True)
class EventTopic:
    """How to make one enveloped topic's events; entity `n` is an article, post or view."""

    valid: Callable[[int], Event]
    bad_payload: dict[str, Any]  # fails the payload model
    other_topic_event: Event  # valid, but belongs on another topic
    duplicate_field: str  # a payload field a case writes twice
    hostile: Callable[[int], Event] | None = None  # script in every text field
    stale: Callable[[int], Event] | None = None  # a changed copy of `valid(n)` at its version

    def record(self, n: int, name: str = "valid", event: Event | None = None) -> HostileRecord:
        """Entity `n`'s valid event (or `event`) under its own key."""
        event = event or self.valid(n)
        key = event_key_of(event)
        return HostileRecord(name, key.encode(), _json(envelope_document(event)), creates=key)


def event_topic_cases(
    spec: EventTopic, earlier: HostileRecord, earlier_n: int, large_size: int
) -> list[HostileRecord]:
    """An enveloped topic's corpus (entities 500 and up); `earlier` was taken in before."""
    good = envelope_document(spec.valid(500))
    key = event_key_of(spec.valid(500))
    cases = byte_level_cases(b"hr-", UNDECODABLE, large_size)
    cases += envelope_cases(key, good, spec.other_topic_event, spec.bad_payload)
    doubled = envelope_document(spec.valid(501))
    cases.append(
        replace(duplicate_key_case(event_key_of(spec.valid(501)), doubled, spec.duplicate_field,
                                   "<b>first</b>"), creates=event_key_of(spec.valid(501)))
    )  # fmt: skip
    cases += header_cases(spec.record(502), spec.record(503))
    cases.append(replace(earlier, name="exact_replay_of_earlier", creates=None))
    if spec.hostile is not None:
        cases.append(spec.record(504, "html_in_every_field", spec.hostile(504)))
    if spec.stale is not None:
        cases.append(replace(spec.record(earlier_n, "same_version_changed",
                                         spec.stale(earlier_n)), creates=None))  # fmt: skip
    return cases


# --- the partner topic: articles.submitted ----------------------------------------------------


def story(source: str, guid: str, **change: Any) -> dict[str, Any]:
    """A valid submission (with `change` applied)."""
    return {
        "guid": guid,
        "source": source,
        "headline": f"포항 영일만 적대 기록 시험 {guid}",
        "section": "pohang",
        "byline": "강동진 기자",
        "body_html": f"<p>포항시는 {guid} 소식을 전했다.</p>",
        "tags": ["포항"],
        "published_at": datetime(2026, 9, 2, 10, 15, tzinfo=UTC).isoformat(),
        **change,
    }


def hostile_story(source: str, guid: str) -> dict[str, Any]:
    """Script and markup in every text field; otherwise valid, so it must be taken in."""
    body = (
        f'<p onclick="steal()">본문</p>{SCRIPT}<a href="javascript:alert(1)">링크</a>'
        '<iframe src="https://evil.example"></iframe><style>p{color:red}</style>'
    )
    image = {"url": "https://img.example/a.jpg", "alt": f"{SCRIPT} 대체", "caption": SCRIPT}
    return story(
        source, guid, headline=f"{SCRIPT} 제목", subhead=f"{SCRIPT} 부제",
        byline=f"{SCRIPT} 기자", body_html=body, tags=[SHORT_SCRIPT], images=[image],
    )  # fmt: skip


@dataclass(frozen=True)
class Partner:
    source: str
    secret: str

    def signature(self, value: bytes) -> bytes:
        return sign(self.secret, value).encode()

    def signed(self, name: str, value: bytes, key: str | bytes | None, **kw: Any) -> HostileRecord:
        """`value` under `key` with this partner's signature (unless `headers` are given)."""
        raw_key = key.encode() if isinstance(key, str) else key
        headers = kw.pop("headers", ((SIGNATURE_HEADER, self.signature(value)),))
        return HostileRecord(name, raw_key, value, headers, **kw)

    def submit(self, name: str, document: dict[str, Any], **kw: Any) -> HostileRecord:
        """`document` as a partner sends it: keyed `{source}:{guid}`, signed."""
        key = f"{document.get('source')}:{document.get('guid')}"
        return self.signed(name, _json(document), kw.pop("key", key), **kw)


def padded_story(source: str, guid: str, size: int) -> bytes:
    """A submission of exactly `size` bytes (its body padded)."""
    value = _json(story(source, guid, body_html=""))
    return _json(story(source, guid, body_html="x" * (size - len(value))))


def submitted_cases(
    partner: Partner, other: Partner, earlier: HostileRecord, max_bytes: int
) -> list[HostileRecord]:
    """The partner topic's corpus; `earlier` is a record the topic already took in, and
    `max_bytes` the topic's record limit."""
    src = partner.source
    key = f"{src}:hr-case"
    value = _json(story(src, "hr-case"))
    near_limit = padded_story(src, "hr-large", max_bytes - 256)
    cases = [
        partner.signed(c.name, c.value, c.key, reason=c.reason)
        for c in byte_level_cases(f"{src}:".encode(), MALFORMED, 1)
        if c.name != "very_large"
    ]

    def mutated(name: str, old: bytes, new: bytes) -> HostileRecord:
        return partner.signed(name, value.replace(old, new, 1), key, reason=MALFORMED)

    deep_tags = b'"tags": ' + b"[" * 100_000 + b"]" * 100_000 + b', "x": ['
    cases += [
        partner.signed("very_large", near_limit, f"{src}:hr-large", reason="too_large"),
        mutated("nan", b'"tags"', b'"score": NaN, "tags"'),
        mutated("infinity", b'"tags"', b'"score": -Infinity, "tags"'),
        mutated("lone_surrogate", b'"headline": "', b'"headline": "\\udc00'),
        mutated("deep_nesting_in_field", b'"tags": [', deep_tags),
    ]
    invalid = {
        "missing_headline": _without(story(src, "hr-m"), "headline"),
        "headline_wrong_type": story(src, "hr-w", headline=5),
        "tags_wrong_type": story(src, "hr-t", tags="포항"),
        "naive_published_at": story(src, "hr-n", published_at="2026-09-02T10:15:00"),
        "future_schema_version": story(src, "hr-v", schema_version=2),
        "headline_too_long": story(src, "hr-l", headline="가" * 301),
    }
    cases += [partner.submit(n, d, reason="invalid_submission") for n, d in invalid.items()]
    good_signature = partner.signature(value)
    signatures: dict[str, Headers] = {
        "unsigned": (),
        "signed_with_wrong_secret": ((SIGNATURE_HEADER, sign("not-it", value).encode()),),
        "signature_wrong_scheme": ((SIGNATURE_HEADER, b"md5=" + good_signature[7:]),),
        "signature_of_another_record": earlier.headers,
        "signature_not_utf8": ((SIGNATURE_HEADER, b"sha256=\xff\xfe" + good_signature[9:]),),
        "repeated_signature_last_bad": (
            (SIGNATURE_HEADER, good_signature), (SIGNATURE_HEADER, b"sha256=00"),
        ),
    }  # fmt: skip
    cases += [
        partner.signed(n, value, key, headers=h, reason="bad_signature",
                       raw_kafka=n.startswith("repeated"))
        for n, h in signatures.items()
    ]  # fmt: skip
    cases += [
        partner.submit("unknown_section", story(src, "hr-s", section="mars"),
                       reason="unknown_section"),
        partner.submit("retract_unknown_story", story(src, "hr-r", status="retracted"),
                       reason="unknown_story"),
        partner.signed("key_not_matching_body", value, f"{src}:hr-other", reason="bad_key"),
        partner.signed("null_key", value, None, reason="bad_key"),
        partner.signed("key_not_utf8", value, key.encode() + b"\xff", reason="bad_key",
                       raw_kafka=True),
        other.submit("other_partner_writes_as_us", story(src, "hr-case"),
                     reason="bad_signature"),
        other.submit("other_partner_keys_as_us", story(other.source, "hr-case"), key=key,
                     reason="bad_key"),
        partner.submit("unknown_source", story("가짜통신", "hr-u"), reason="unknown_source"),
    ]  # fmt: skip
    return cases + accepted_submissions(partner, earlier)


def accepted_submissions(partner: Partner, earlier: HostileRecord) -> list[HostileRecord]:
    """Hostile-looking partner records that are valid: taken in, never dead-lettered."""
    src = partner.source
    doubled = _json(story(src, "hr-dup")).replace(
        b'"headline": ', b'"headline": "<b>first</b>", "headline": ', 1
    )
    repeated = _json(story(src, "hr-rep"))
    odd = _json(story(src, "hr-odd"))
    return [
        replace(earlier, name="exact_replay_of_earlier"),
        partner.submit("html_in_every_field", hostile_story(src, "hr-html"), creates="hr-html"),
        partner.signed("duplicate_json_keys", doubled, f"{src}:hr-dup", creates="hr-dup"),
        replace(
            partner.signed("odd_headers", odd, f"{src}:hr-odd", creates="hr-odd"),
            headers=((SIGNATURE_HEADER, partner.signature(odd)), *ODD_HEADERS),
        ),
        partner.signed(
            "repeated_signature_last_good", repeated, f"{src}:hr-rep", creates="hr-rep",
            headers=((SIGNATURE_HEADER, b"sha256=00"), (SIGNATURE_HEADER,
                     partner.signature(repeated))),
            raw_kafka=True,
        ),
    ]  # fmt: skip


# --- the enveloped topics' events ---------------------------------------------------------

T0 = datetime(2026, 9, 2, 1, 15, tzinfo=UTC)


def article_id(n: int) -> str:
    return f"{2026090200000000 + n:016d}"


def article(n: int, **change: Any) -> Article:
    fields: dict[str, Any] = {
        "article_id": article_id(n), "guid": f"hr-{n}", "source": "newsroom", "version": 1,
        "status": "published", "headline": f"영일만 적대 기록 기사 {n}", "section": "pohang",
        "byline": "강동진 기자", "body_html": f"<p>포항시는 {n}번째 소식을 전했다.</p>",
        "published_at": T0,
    }  # fmt: skip
    return Article.model_validate(fields | change)


def hostile_article(n: int) -> ArticlePublished:
    """Script in every text field of an event that is otherwise valid (ingest never sends
    one, but the topic is writable by more than ingest)."""
    story = hostile_story("newsroom", f"hr-{n}")
    fields = {k: story[k] for k in ("headline", "subhead", "byline", "body_html", "tags", "images")}
    return ArticlePublished(article=article(n, **fields))


def post(n: int, **change: Any) -> BoardPost:
    fields: dict[str, Any] = {
        "post_id": f"{n:021x}", "board": "free", "title": f"자유게시판 적대 기록 {n}",
        "body_text": "본문입니다.", "author_id": "m0001", "author_nick": "포항사람",
        "created_at": T0,
    }  # fmt: skip
    return BoardPost.model_validate(fields | change)


def view(n: int) -> ArticleViewed:
    return ArticleViewed(
        article_id=article_id(n),
        viewed_at=datetime.now(UTC),
        client_class=ClientClass.DESKTOP,
        visitor=f"{n:032x}",
    )


ARTICLES = EventTopic(
    valid=lambda n: ArticlePublished(article=article(n)),
    bad_payload={"article": {"article_id": "x", "version": 0}},
    other_topic_event=PostCreated(post=post(1)),
    duplicate_field="headline",
    hostile=hostile_article,
    stale=lambda n: ArticlePublished(article=article(n, headline="같은 판, 다른 제목")),
)
BOARD_EVENTS = EventTopic(
    valid=lambda n: PostCreated(post=post(n)),
    bad_payload={"post": {"post_id": "x", "board": "Not A Slug", "title": ""}},
    other_topic_event=MemberJoined(
        member_id="m0009", nickname="영일만", joined_at=T0, role=Role.MEMBER
    ),
    duplicate_field="title",
    hostile=lambda n: PostCreated(
        post=post(n, title=f"{SCRIPT} 제목", body_text=f"{SCRIPT}\n본문", author_nick="<b>닉</b>")
    ),
)
VIEWS = EventTopic(
    valid=view,
    bad_payload={"article_id": "x", "viewed_at": "now", "visitor": SCRIPT},
    other_topic_event=ArticlePublished(article=article(1)),
    duplicate_field="client_class",
)
