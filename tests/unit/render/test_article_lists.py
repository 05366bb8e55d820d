"""`placed`: how one article's state changes a newest-first list of at most `cap` cards."""

from __future__ import annotations

from typing import Any

from services.render.article_lists import CardList, Entry, placed


def entry(n: int, version: int = 1, key: int | None = None) -> Entry:
    return {"id": f"a{n:02d}", "v": version, "key": f"k{key if key is not None else n:02d}",
            "card": {"headline": f"{n} 판 {version}"}}  # fmt: skip


def ids(cards: CardList | None) -> list[str]:
    assert cards is not None
    return [e["id"] for e in cards.entries]


def listing(*ns: int, truncated: bool = False) -> CardList:
    return CardList(tuple(entry(n) for n in ns), truncated)


def place(current: CardList, n: int, version: int = 1, **kw: Any) -> CardList | None:
    wanted = None if kw.get("removed") else entry(n, version, kw.get("key"))
    return placed(current, f"a{n:02d}", version, wanted, kw.get("cap", 3))


def test_new_cards_go_in_order_and_the_oldest_fall_off_the_cap() -> None:
    assert ids(place(listing(5, 3), 4)) == ["a05", "a04", "a03"]
    full = place(listing(5, 4, 3), 6)
    assert ids(full) == ["a06", "a05", "a04"] and full is not None and full.truncated
    short = place(listing(5, 4), 1)
    assert short is not None and not short.truncated


def test_ties_on_the_key_are_ordered_by_ascending_id_as_storage_sorts_them() -> None:
    assert ids(place(listing(5, 3), 4, key=5)) == ["a04", "a05", "a03"]
    assert ids(place(listing(5, 3), 6, key=5)) == ["a05", "a06", "a03"]
    # A tie with the last entry of a truncated list: a higher id comes after it, beyond.
    assert ids(place(listing(5, 3, truncated=True), 4, key=3)) == ["a05", "a03"]
    assert ids(place(listing(5, 4, truncated=True), 3, key=4)) == ["a05", "a03", "a04"]


def test_an_older_card_below_a_truncated_list_stays_out() -> None:
    assert ids(place(listing(5, 4, 3, truncated=True), 1)) == ["a05", "a04", "a03"]
    # Even with room: older listed articles exist beyond it, and this one is among them.
    assert ids(place(listing(5, 4, truncated=True), 1)) == ["a05", "a04"]
    assert ids(place(listing(5, 4, truncated=True), 6)) == ["a06", "a05", "a04"]


def test_below_a_short_untruncated_list_it_is_appended() -> None:
    assert ids(place(listing(5, 4), 1)) == ["a05", "a04", "a01"]


def test_a_newer_version_replaces_its_entry_and_an_older_one_changes_nothing() -> None:
    current = listing(5, 4, 3)
    newer = place(current, 4, version=2)
    assert newer is not None and newer.entries[1]["v"] == 2
    assert place(newer, 4, version=1) is None
    assert place(newer, 4, version=2) is None  # the same state again


def test_removal_shortens_the_list_and_keeps_its_truncation() -> None:
    removed = place(listing(5, 4, 3, truncated=True), 4, version=2, removed=True)
    assert ids(removed) == ["a05", "a03"] and removed is not None and removed.truncated
    assert place(listing(5, 3), 4, removed=True) is None  # not there: nothing to do


def test_a_stale_removal_leaves_a_newer_entry() -> None:
    current = CardList((entry(5), entry(4, version=3)), False)
    assert place(current, 4, version=2, removed=True) is None


def test_nothing_is_placed_into_a_truncated_list_emptied_by_retractions() -> None:
    assert ids(place(CardList((), True), 9)) == []


def test_the_count_beyond_follows_every_entry_that_leaves_the_end() -> None:
    full = place(listing(5, 4, 3), 6)
    assert full is not None and (full.beyond, full.count) == (1, 4)
    again = place(full, 7)
    assert again is not None and (again.beyond, again.count) == (2, 5)
    assert place(again, 6) is None  # redelivered, in the list: no change
    pushed_out = place(again, 3)  # redelivered after leaving the end: no telling
    assert pushed_out is not None and ids(pushed_out) == ids(again) and pushed_out.count is None
    # An entry whose new version is older than the list's end moves beyond it.
    moved = place(again, 6, version=2, key=1)
    assert moved is not None and ids(moved) == ["a07", "a05"] and moved.count == 5
    removed = place(moved, 7, version=2, removed=True)
    assert removed is not None and removed.count == 4


def test_what_happens_beyond_a_truncated_list_makes_its_count_unsure() -> None:
    truncated = CardList((entry(5), entry(4)), True, beyond=3)
    late = place(truncated, 1)  # published with an old date, or redelivered: no telling
    assert late is not None and late.unsure == 1 and late.count is None
    retracted = place(truncated, 1, removed=True)
    assert retracted is not None and retracted.count is None
    assert place(listing(5, 4), 1, removed=True) is None  # all here: nothing to be unsure of
