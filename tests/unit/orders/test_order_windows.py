"""The order windows' rules (services/orders/windows.py), without a database."""

from datetime import UTC, datetime, timedelta

from services.orders.windows import Window, decide, local, overlaps

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def window(opens: timedelta, closes: timedelta, cap: int = 10, **fields) -> Window:
    return Window(
        fields.pop("id", 1),
        "hub-a",
        "masker-kain",
        NOW + opens,
        NOW + closes,
        cap,
        "Asia/Jakarta",
        **fields,
    )


def test_no_window_takes_every_order():
    assert decide([], 1_000, "agency", NOW).verdict == "none"


def test_orders_are_taken_in_turn_until_the_next_would_pass_the_cap():
    open_now = window(-DAY, DAY, cap=10)

    verdicts = [decide([open_now], n, "agency", NOW).verdict for n in (4, 4, 3, 2)]

    assert verdicts == ["taken", "taken", "full", "taken"]
    assert (open_now.ordered, open_now.orders, open_now.refused) == (10, 3, 1)
    assert open_now.by_buyer_type == {"agency": {"units": 10, "orders": 3, "refused": 1}}


def test_before_the_window_an_order_is_told_when_it_opens():
    later = window(DAY, 2 * DAY)

    decision = decide([later], 1, "individual", NOW)

    assert (decision.verdict, decision.opens_at) == ("closed", NOW + DAY)
    assert later.refused == 1 and later.ordered == 0


def test_after_the_end_or_once_closed_no_order_is_taken_and_no_opening_is_known():
    ended = window(-2 * DAY, -DAY)
    closed = window(-DAY, DAY, id=2, closed_at=NOW - timedelta(hours=1))

    assert decide([ended], 1, "agency", NOW).verdict == "closed"
    decision = decide([closed], 1, "agency", NOW)
    assert (decision.verdict, decision.opens_at, decision.window) == ("closed", None, closed)


def test_the_open_window_counts_not_an_ended_one():
    ended = window(-3 * DAY, -2 * DAY, id=1)
    current = window(-DAY, DAY, id=2)

    decision = decide([ended, current], 2, "agency", NOW)

    assert decision.window is current and current.ordered == 2 and ended.ordered == 0


def test_windows_overlap_only_from_now_on():
    current = window(-DAY, DAY, id=1)
    closed = window(-DAY, DAY, id=1, closed_at=NOW - timedelta(minutes=1))

    assert overlaps(window(timedelta(hours=1), 2 * DAY, id=2), [current], NOW)
    assert not overlaps(window(DAY, 2 * DAY, id=2), [current], NOW)
    assert not overlaps(window(-timedelta(hours=2), DAY, id=2), [closed], NOW)


def test_times_are_told_in_the_hubs_zone():
    assert local(NOW, "Asia/Jakarta") == "05-12-2026 10:00 WIB"
    assert local(NOW, "Asia/Jayapura") == "05-12-2026 12:00 WIT"
