"""`navigation.place`: a message's neighbours in the list it was opened from, at the edges of
pages and after the list has moved, in both stores."""

from __future__ import annotations

from mailfactory import deliver

from mailtrap import MessageStore
from mailtrap.web.navigation import Place, list_query, place

PAGE = 5


def mailbox(store: MessageStore) -> list[str]:
    """12 messages, newest first in the returned ids: even ones from billing, odd ones not."""
    ids = [
        deliver(store, subject=f"m{n}", sender=f"{'billing' if n % 2 == 0 else 'other'}@x.org").id
        for n in range(12)
    ]
    return ids[::-1]


def test_list_query_leaves_the_inbox_first_page_bare() -> None:
    assert list_query("", 0) == ""
    assert list_query("", 50) == "start=50"
    assert list_query("from:a b", 0) == "q=from%3Aa+b"
    assert list_query("x", 10) == "q=x&start=10"
    # A page size other than the default is named, so the way back keeps it.
    assert list_query("", 0, 100) == "limit=100"
    assert list_query("x", 200, 200) == "q=x&start=200&limit=200"
    assert list_query("x", 0, 50) == "q=x"


def test_inbox_neighbours_name_the_page_each_is_on(store: MessageStore) -> None:
    ids = mailbox(store)  # newest first: positions 0..11, pages of 5
    first, second, third = "limit=5", "start=5&limit=5", "start=10&limit=5"
    assert place(store, ids[0], "", 0, PAGE) == Place(first, None, (ids[1], first))
    # The last row of page 1: its older neighbour is on page 2, and says so.
    assert place(store, ids[4], "", 0, PAGE) == Place(first, (ids[3], first), (ids[5], second))
    assert place(store, ids[5], "", 5, PAGE) == Place(second, (ids[4], first), (ids[6], second))
    assert place(store, ids[11], "", 10, PAGE) == Place(third, (ids[10], third), None)


def test_search_neighbours_skip_mail_outside_it(store: MessageStore) -> None:
    ids = mailbox(store)
    billing = ids[1::2]  # m10, m8, ..., m0: positions 0..5 of the search
    q = "from:billing"
    at_2 = place(store, billing[2], q, 0, 2)
    assert at_2 == Place(
        "q=from%3Abilling&limit=2",
        (billing[1], "q=from%3Abilling&limit=2"),
        (billing[3], "q=from%3Abilling&start=2&limit=2"),
    )
    assert place(store, billing[5], q, 4, 2).older is None  # m0: nothing older matches
    # A message outside the search (opened by URL) has no neighbours in it.
    assert place(store, ids[0], q, 0, 2) == Place("q=from%3Abilling&limit=2")


def test_a_list_that_moved_still_gives_the_neighbours(store: MessageStore) -> None:
    ids = mailbox(store)
    # Opened from page 1 (start=0), but the message is now far down: the search reads all
    # of its ids, the inbox asks the store (and keeps the page it came from).
    billing = ids[1::2]
    found = place(store, billing[5], "from:billing", 0, 2)
    assert found.newer == (billing[4], "q=from%3Abilling&start=4&limit=2")
    here = "limit=5"
    assert place(store, ids[9], "", 0, PAGE) == Place(here, (ids[8], here), (ids[10], here))


def test_a_search_that_cannot_run_gives_no_neighbours(store: MessageStore) -> None:
    ids = mailbox(store)
    assert place(store, ids[3], "is:oops", 0, PAGE) == Place("q=is%3Aoops&limit=5")
