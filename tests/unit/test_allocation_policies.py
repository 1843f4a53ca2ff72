"""How the centre shares a delivery: one worked example per policy, for operators to read.

Each test is a small day at the centre: who waits in the queue, what the tailors delivered, and
who gets what, from which lot, and why. The rules hold for any product; the examples use masks.
`test_allocation_properties.py` checks the same rules over thousands of random days.
"""

import uuid

from services.allocator.rules.allocation import allocate, draw
from services.allocator.rules.domain import (
    Allocation,
    Claim,
    ClassShare,
    Lot,
    Policy,
    Skip,
    total_by_lot,
    total_by_order,
)

# Readable, stable ids: tailors, their deliveries (lots), and the orders waiting.
TAILOR_SITI = uuid.UUID(int=0x51)
TAILOR_BUDI = uuid.UUID(int=0xB0)
LOT_SITI = uuid.UUID(int=0x101)
LOT_BUDI = uuid.UUID(int=0x102)
ORDER_BANK = uuid.UUID(int=0x201)
ORDER_AGENCY = uuid.UUID(int=0x202)
ORDER_CITIZEN = uuid.UUID(int=0x203)
ORDER_PUSKESMAS = uuid.UUID(int=0x204)
ORDER_BANK_2 = uuid.UUID(int=0x205)
ORDER_BANK_3 = uuid.UUID(int=0x206)
ORDER_DINKES = uuid.UUID(int=0x207)

HEALTH_THEN_PUBLIC = (ClassShare("health"), ClassShare("public"))
# The worked examples show one rule at a time: strict class order, no reserve and no cap unless
# the example names them. The default policy has examples of its own, at the end.
STRICT_CLASS_ORDER = tuple(ClassShare(share.name) for share in Policy().classes)


def plain(**rules) -> Policy:
    return Policy(**{"per_buyer_daily_cap": None, "classes": STRICT_CLASS_ORDER, **rules})


def citizens(count: int, requested: int) -> list[Claim]:
    """`count` citizens' orders of `requested` masks each, in queue order."""
    return [
        Claim(uuid.UUID(int=0x1000 + number), requested, buyer=f"warga-{number}")
        for number in range(1, count + 1)
    ]


# --- fifo: first come, first served ---------------------------------------------------------


def test_fifo_three_orders_two_lots_who_gets_what_from_where():
    """A bank (30), an agency (40) and a citizen (50) wait, in that order. Siti delivers 45
    masks, then Budi 50. The lots are used in the order they arrived, not by size.

    The bank takes 30 from Siti's lot; the agency takes Siti's last 15 and 25 of Budi's; the
    citizen gets Budi's remaining 25 and waits for 25 more. Siti is paid for 45, Budi for 50.
    """
    lots = [Lot(LOT_SITI, TAILOR_SITI, 45), Lot(LOT_BUDI, TAILOR_BUDI, 50)]
    queue = [Claim(ORDER_BANK, 30), Claim(ORDER_AGENCY, 40), Claim(ORDER_CITIZEN, 50)]

    fill = allocate(lots, {"public": queue}, plain())

    assert fill.allocations == [
        Allocation(ORDER_BANK, LOT_SITI, TAILOR_SITI, 30, "fifo"),
        Allocation(ORDER_AGENCY, LOT_SITI, TAILOR_SITI, 15, "fifo"),
        Allocation(ORDER_AGENCY, LOT_BUDI, TAILOR_BUDI, 25, "fifo"),
        Allocation(ORDER_CITIZEN, LOT_BUDI, TAILOR_BUDI, 25, "fifo"),
    ]
    assert total_by_order(fill.allocations) == {ORDER_BANK: 30, ORDER_AGENCY: 40, ORDER_CITIZEN: 25}
    assert total_by_lot(fill.allocations) == {LOT_SITI: 45, LOT_BUDI: 50}
    assert fill.skips == []


def test_fifo_an_order_takes_only_what_it_still_wants():
    """The agency asked for 40 and already got 25; the bank's 30 were all given earlier; a
    citizen asked for 20, and 5 of those expired uncollected (forfeited). Siti delivers 100.

    The agency takes its last 15; the bank nothing; the citizen 5 (20 asked, 10 given before,
    5 forfeited). The other 80 stay on hand for whoever orders next.
    """
    queue = [
        Claim(ORDER_AGENCY, 40, allocated=25),
        Claim(ORDER_BANK, 30, allocated=30),
        Claim(ORDER_CITIZEN, 20, allocated=10, forfeited=5),
    ]

    fill = allocate([Lot(LOT_SITI, TAILOR_SITI, 100)], {"public": queue}, plain())

    assert total_by_order(fill.allocations) == {ORDER_AGENCY: 15, ORDER_CITIZEN: 5}


def test_nothing_to_give_or_nobody_waiting_gives_nothing():
    queue = {"public": [Claim(ORDER_BANK, 30), Claim(ORDER_AGENCY, 40)]}
    empty_lots = [Lot(LOT_SITI, TAILOR_SITI, 0), Lot(LOT_BUDI, TAILOR_BUDI, 0)]

    assert allocate([], queue, plain()).allocations == []
    assert allocate(empty_lots, queue, plain()).allocations == []
    assert allocate([Lot(LOT_SITI, TAILOR_SITI, 45)], {}, plain()).allocations == []
    assert total_by_order([]) == {} and total_by_lot([]) == {}


# --- fair_share: everyone waiting gets some -------------------------------------------------


def test_fair_share_55_masks_to_ten_orders_of_100():
    """Ten citizens each ordered 100 masks; Siti delivers 55.

    Each gets 5, and the 5 left over go one each to the first five in the queue: the first
    five get 6, the other five get 5.
    """
    queue = citizens(10, 100)

    fill = allocate([Lot(LOT_SITI, TAILOR_SITI, 55)], {"public": queue}, plain(mode="fair_share"))

    totals = total_by_order(fill.allocations)
    assert [totals[claim.order_id] for claim in queue] == [6, 6, 6, 6, 6, 5, 5, 5, 5, 5]
    assert {allocation.rule for allocation in fill.allocations} == {"fair_share"}


def test_fair_share_fifty_buyers_each_get_some_rather_than_ten_getting_all():
    """Fifty citizens each ordered 10 masks; Siti delivers 100.

    First come, first served, the first ten would get all 10 they asked for and forty would
    go home with nothing. A fair share gives all fifty 2 each.
    """
    queue = citizens(50, 10)
    lots = [Lot(LOT_SITI, TAILOR_SITI, 100)]

    in_turn = total_by_order(allocate(lots, {"public": queue}, plain()).allocations)
    shared = total_by_order(allocate(lots, {"public": queue}, plain(mode="fair_share")).allocations)

    assert [in_turn.get(claim.order_id, 0) for claim in queue] == [10] * 10 + [0] * 40
    assert [shared[claim.order_id] for claim in queue] == [2] * 50


def test_fair_share_a_reserve_and_the_rest_are_shared_as_one():
    """Health comes first; public has a 20% reserve. Four citizens ordered 10 each, a
    puskesmas 39; Siti delivers 50.

    The reserve (10) goes first, shared among the citizens: 3, 3, 2, 2. The puskesmas then
    takes 39 of the 40 left. The last mask goes back to the citizens, to one of those on 2,
    the first of them in the queue: 3, 3, 3, 2, as if the 11 had been shared at once.
    """
    queue = citizens(4, 10)
    policy = plain(mode="fair_share", classes=(ClassShare("health"), ClassShare("public", 20)))
    puskesmas = Claim(ORDER_PUSKESMAS, 39, priority_class="health")

    fill = allocate(
        [Lot(LOT_SITI, TAILOR_SITI, 50)], {"health": [puskesmas], "public": queue}, policy
    )

    totals = total_by_order(fill.allocations)
    assert totals[ORDER_PUSKESMAS] == 39
    assert [totals[claim.order_id] for claim in queue] == [3, 3, 3, 2]


# --- lottery: a published, repeatable draw --------------------------------------------------

# The seed the centre publishes with the day's draw.
SEED = 20240611


def test_lottery_ten_masks_among_thirty_applicants():
    """Thirty citizens each applied for 1 mask; Siti delivers 10. The draw uses seed 20240611,
    published with the result.

    Anyone can re-run the draw from the seed and the applicants in queue order: applicants 26,
    10, 20, 3, 4, 24, 23, 21, 16 and 19 win, in that order. The same seed always draws the
    same; another seed draws others. The twenty others are recorded as `not_drawn` and keep
    their places for the next delivery.
    """
    applicants = citizens(30, 1)
    lots = [Lot(LOT_SITI, TAILOR_SITI, 10)]
    policy = plain(mode="lottery")

    fill = allocate(lots, {"public": applicants}, policy, seed=SEED)

    winners = [applicants.index(claim) + 1 for claim in draw(applicants, SEED, "public")[:10]]
    assert winners == [26, 10, 20, 3, 4, 24, 23, 21, 16, 19]
    assert [allocation.order_id for allocation in fill.allocations] == [
        applicants[number - 1].order_id for number in winners
    ]
    assert all(allocation.quantity == 1 for allocation in fill.allocations)
    assert fill.draw_seed == SEED and "public" in fill.drawn_classes
    assert allocate(lots, {"public": applicants}, policy, seed=SEED) == fill
    other_draw = allocate(lots, {"public": applicants}, policy, seed=SEED + 1)
    assert total_by_order(other_draw.allocations) != total_by_order(fill.allocations)
    losers = [claim for number, claim in enumerate(applicants, 1) if number not in winners]
    assert {skip.rule for skip in fill.skips} == {"not_drawn"}
    assert sorted(skip.order_id for skip in fill.skips) == [claim.order_id for claim in losers]


# --- priority classes and reserves ----------------------------------------------------------


def test_health_is_served_before_public_whoever_ordered_first():
    """A citizen ordered 80 masks at eight; a puskesmas (health) ordered 60 at nine. Siti
    delivers 100.

    Health comes before public, so the puskesmas gets all its 60; the citizen gets the other
    40 and waits for 40 more.
    """
    queue = {
        "public": [Claim(ORDER_CITIZEN, 80)],
        "health": [Claim(ORDER_PUSKESMAS, 60, priority_class="health")],
    }

    fill = allocate([Lot(LOT_SITI, TAILOR_SITI, 100)], queue, plain(classes=HEALTH_THEN_PUBLIC))

    assert total_by_order(fill.allocations) == {ORDER_PUSKESMAS: 60, ORDER_CITIZEN: 40}


def test_a_20_percent_reserve_for_public_that_health_cannot_take():
    """The policy keeps 20% of every delivery for the public. A puskesmas wants 200 masks, a
    citizen 30; Siti delivers 100.

    The citizen gets the reserve, 20 masks (recorded under the rule `reserve:fifo`), though
    health comes first; the puskesmas gets the other 80.
    """
    policy = plain(classes=(ClassShare("health"), ClassShare("public", 20)))
    queue = {
        "health": [Claim(ORDER_PUSKESMAS, 200, priority_class="health")],
        "public": [Claim(ORDER_CITIZEN, 30)],
    }

    fill = allocate([Lot(LOT_SITI, TAILOR_SITI, 100)], queue, policy)

    assert fill.allocations == [
        Allocation(ORDER_PUSKESMAS, LOT_SITI, TAILOR_SITI, 80, "fifo"),
        Allocation(ORDER_CITIZEN, LOT_SITI, TAILOR_SITI, 20, "reserve:fifo"),
    ]


def test_a_reserve_nobody_wants_goes_on_at_once_to_the_next_class():
    """Public has a 20% reserve, but the only citizen waiting wants 5 masks, and on another
    day no citizen waits at all. A puskesmas wants 200; Siti delivers 100.

    The citizen gets 5 and the puskesmas 95; with no citizen, the puskesmas gets all 100. No
    unit waits for a public order that has not come.
    """
    policy = plain(classes=(ClassShare("health"), ClassShare("public", 20)))
    lots = [Lot(LOT_SITI, TAILOR_SITI, 100)]
    health = [Claim(ORDER_PUSKESMAS, 200, priority_class="health")]

    one_citizen = allocate(lots, {"health": health, "public": [Claim(ORDER_CITIZEN, 5)]}, policy)
    no_citizen = allocate(lots, {"health": health, "public": []}, policy)

    assert total_by_order(one_citizen.allocations) == {ORDER_PUSKESMAS: 95, ORDER_CITIZEN: 5}
    assert total_by_order(no_citizen.allocations) == {ORDER_PUSKESMAS: 100}


# --- the daily cap per buyer ----------------------------------------------------------------


def test_a_bank_capped_at_100_a_day_gets_100_and_its_orders_keep_their_places():
    """Each buyer may take at most 100 masks a day. A bank placed three orders of 50, then a
    citizen ordered 100. Siti delivers 180.

    The bank's first two orders get 50 each: 100, its cap. Its third is skipped (`daily_cap`)
    and the citizen gets the other 80. The next day Budi delivers 60: the bank's third order
    kept its place at the head of the queue and gets its 50; the citizen gets 10.
    """
    policy = plain(per_buyer_daily_cap=100)
    bank_third = Claim(ORDER_BANK_3, 50, buyer="bank-bri")
    queue = [
        Claim(ORDER_BANK, 50, buyer="bank-bri"),
        Claim(ORDER_BANK_2, 50, buyer="bank-bri"),
        bank_third,
        Claim(ORDER_CITIZEN, 100, buyer="warga-ani"),
    ]

    today = allocate([Lot(LOT_SITI, TAILOR_SITI, 180)], {"public": queue}, policy)

    assert total_by_order(today.allocations) == {
        ORDER_BANK: 50,
        ORDER_BANK_2: 50,
        ORDER_CITIZEN: 80,
    }
    assert today.skips == [Skip(ORDER_BANK_3, "daily_cap")]

    still_waiting = [bank_third, Claim(ORDER_CITIZEN, 100, allocated=80, buyer="warga-ani")]
    tomorrow = allocate([Lot(LOT_BUDI, TAILOR_BUDI, 60)], {"public": still_waiting}, policy)

    assert total_by_order(tomorrow.allocations) == {ORDER_BANK_3: 50, ORDER_CITIZEN: 10}


def test_what_a_buyer_took_earlier_today_counts_against_the_cap():
    """The cap is 100 a day. Earlier today the bank took 90 and the health office (dinkes)
    100. Now the bank wants 50, the dinkes 20 and a citizen 30; Siti delivers 40.

    The bank gets the 10 left of its cap, the dinkes nothing (skipped, `daily_cap`), and the
    citizen its 30.
    """
    policy = plain(per_buyer_daily_cap=100)
    queue = [
        Claim(ORDER_BANK, 50, buyer="bank-bri"),
        Claim(ORDER_DINKES, 20, buyer="dinkes"),
        Claim(ORDER_CITIZEN, 30, buyer="warga-ani"),
    ]

    fill = allocate(
        [Lot(LOT_SITI, TAILOR_SITI, 40)],
        {"public": queue},
        policy,
        taken_today={"bank-bri": 90, "dinkes": 100},
    )

    assert total_by_order(fill.allocations) == {ORDER_BANK: 10, ORDER_CITIZEN: 30}
    assert fill.skips == [Skip(ORDER_DINKES, "daily_cap")]


# --- whole orders only (accept_partial: false) ----------------------------------------------


def test_a_whole_only_order_that_does_not_fit_waits_and_the_order_behind_it_is_served():
    """An agency wants its 40 masks in one hand-over, no less; behind it a citizen wants 20.
    Siti delivers 30.

    The agency's 40 do not fit: it is skipped (`whole_order`) and keeps its place; the citizen
    gets 20, and 10 stay on hand. When Budi's 50 arrive the next hour, 60 are on hand: the
    agency gets its 40 whole.
    """
    agency = Claim(ORDER_AGENCY, 40, buyer="kecamatan", accept_partial=False)

    first = allocate(
        [Lot(LOT_SITI, TAILOR_SITI, 30)], {"public": [agency, Claim(ORDER_CITIZEN, 20)]}, plain()
    )

    assert total_by_order(first.allocations) == {ORDER_CITIZEN: 20}
    assert first.skips == [Skip(ORDER_AGENCY, "whole_order")]
    assert first.skips[0].detail == {"wanted": 40, "available": 30}

    on_hand = [Lot(LOT_SITI, TAILOR_SITI, 10), Lot(LOT_BUDI, TAILOR_BUDI, 50)]
    second = allocate(on_hand, {"public": [agency]}, plain())

    assert second.allocations == [
        Allocation(ORDER_AGENCY, LOT_SITI, TAILOR_SITI, 10, "fifo"),
        Allocation(ORDER_AGENCY, LOT_BUDI, TAILOR_BUDI, 30, "fifo"),
    ]
    assert second.skips == []


# --- the default: health first, the public's reserve, a daily cap -----------------------------


def test_by_default_health_takes_all_but_the_publics_reserve():
    """Nobody set a policy. A puskesmas wants 80 masks, the Dinas Kesehatan 100; a citizen, a
    bank (150) and another citizen wait in the public class. Siti delivers 100.

    40 of them are the public's: the first citizen's 10 and 30 for the bank, in queue order.
    The puskesmas, first in class order, takes the other 60; the agency and the second citizen
    wait for the next delivery."""
    queue = {
        "health": [Claim(ORDER_PUSKESMAS, 80, buyer="puskesmas", priority_class="health")],
        "agency": [Claim(ORDER_DINKES, 100, buyer="dinkes", priority_class="agency")],
        "public": [
            Claim(ORDER_CITIZEN, 10, buyer="warga-ani"),
            Claim(ORDER_BANK, 150, buyer="bank-bri"),
            Claim(ORDER_BANK_2, 10, buyer="warga-eko"),
        ],
    }

    fill = allocate([Lot(LOT_SITI, TAILOR_SITI, 100)], queue, Policy())

    assert total_by_order(fill.allocations) == {
        ORDER_CITIZEN: 10,
        ORDER_BANK: 30,
        ORDER_PUSKESMAS: 60,
    }
    assert {a.order_id: a.rule for a in fill.allocations}[ORDER_BANK] == "reserve:fifo"


def test_by_default_the_share_the_public_does_not_want_flows_on():
    """Only one citizen (10) waits in the public class, behind a puskesmas (30) and the Dinas
    Kesehatan (100). Of Siti's 100, the public's reserve of 40 is not idle: the citizen takes
    10, the puskesmas 30, and the agency the 60 left."""
    queue = {
        "health": [Claim(ORDER_PUSKESMAS, 30, buyer="puskesmas", priority_class="health")],
        "agency": [Claim(ORDER_DINKES, 100, buyer="dinkes", priority_class="agency")],
        "public": [Claim(ORDER_CITIZEN, 10, buyer="warga-ani")],
    }

    fill = allocate([Lot(LOT_SITI, TAILOR_SITI, 100)], queue, Policy())

    assert total_by_order(fill.allocations) == {
        ORDER_CITIZEN: 10,
        ORDER_PUSKESMAS: 30,
        ORDER_DINKES: 60,
    }


def test_by_default_a_buyer_gets_at_most_100_a_day_and_keeps_its_place():
    """The Dinas Kesehatan wants 300 masks and a citizen 20; Siti and Budi deliver 250. The
    agency gets 100 today (the default cap) and waits for the rest in its place; the citizen
    gets 20; 130 stay on hand for whoever orders next, and for the agency tomorrow: a later
    fill today skips it (`daily_cap`)."""
    queue = {
        "agency": [Claim(ORDER_DINKES, 300, buyer="dinkes", priority_class="agency")],
        "public": [Claim(ORDER_CITIZEN, 20, buyer="warga-ani")],
    }
    lots = [Lot(LOT_SITI, TAILOR_SITI, 125), Lot(LOT_BUDI, TAILOR_BUDI, 125)]

    fill = allocate(lots, queue, Policy())

    assert total_by_order(fill.allocations) == {ORDER_DINKES: 100, ORDER_CITIZEN: 20}

    dinkes = Claim(ORDER_DINKES, 300, allocated=100, buyer="dinkes", priority_class="agency")
    later = allocate(
        [Lot(LOT_BUDI, TAILOR_BUDI, 130)],
        {"agency": [dinkes]},
        Policy(),
        taken_today={"dinkes": 100},
    )
    assert later.allocations == []
    assert later.skips == [Skip(ORDER_DINKES, "daily_cap")]


def test_by_default_a_citizen_alone_in_the_queue_gets_one_grant_for_one_delivery():
    """Nobody else waits: the citizen's 10 masks come 4 from the public's reserve of Siti's 10
    and 6 from what no class above wanted; one grant, named by the reserve, so one message."""
    fill = allocate(
        [Lot(LOT_SITI, TAILOR_SITI, 10)], {"public": [Claim(ORDER_CITIZEN, 10)]}, Policy()
    )

    assert fill.allocations == [
        Allocation(ORDER_CITIZEN, LOT_SITI, TAILOR_SITI, 10, "reserve:fifo")
    ]
