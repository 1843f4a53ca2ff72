"""The founding day per buyer type, played through the pure allocation: the figures issue 18
reported under the old default, and what the default changes."""

from services.allocator.rules.domain import Policy
from tools.founding_day import founding_day, in_queue_order
from tools.founding_day_outcome import STRICT_CLASS_ORDER, by_buyer_type, table

SCENARIO = founding_day()


def test_the_old_default_gave_the_agencies_nearly_everything():
    before = by_buyer_type(SCENARIO, STRICT_CLASS_ORDER)

    assert (before["agency"].got, SCENARIO.accepted_total) == (1684, 1927)
    assert (before["individual"].buyers, before["individual"].served) == (13, 2)


def test_the_default_serves_more_citizens_and_no_buyer_past_the_cap():
    before = by_buyer_type(SCENARIO, STRICT_CLASS_ORDER)
    now = by_buyer_type(SCENARIO, Policy())

    assert now["individual"].served > before["individual"].served
    assert now["agency"].got < before["agency"].got
    assert sum(o.got for o in now.values()) == SCENARIO.accepted_total  # nothing held back
    assert max(in_queue_order(SCENARIO)) <= Policy().per_buyer_daily_cap
    assert "cap 100 a buyer a day" in table(SCENARIO, Policy())
