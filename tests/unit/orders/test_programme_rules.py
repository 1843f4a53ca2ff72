"""A programme's pure rules: the NIK's form, eligibility, the period, the seeded draw and the
greedy taking of winners."""

import random
import re
from datetime import date

import pytest

from services.orders.programmes.rules import (
    ALGORITHM,
    draw,
    drawn_order,
    greedy,
    ineligible,
    nik_hash,
    replay,
    status_on,
)
from shared.nik import nik_problem
from shared.programme_tickets import new_programme_ticket


@pytest.mark.parametrize(
    "nik",
    [
        "6271011508900001",  # Kalimantan Tengah, a man born 15-08-1990
        "6271015508900001",  # the same date for a woman (day + 40)
        "1101010101000001",  # the first province code
        "9471013112999999",  # the last, born on the 31st of December
        "6271017112990001",  # a woman born on the 31st (71)
    ],
)
def test_a_nik_of_the_right_form_passes(nik: str):
    assert nik_problem(nik) is None


@pytest.mark.parametrize(
    ("nik", "why"),
    [
        ("627101150890001", "16"),  # 15 digits
        ("62710115089000011", "16"),  # 17
        ("62710115089O0001", "16"),  # a letter O
        ("６２７１０１１５０８９００００１", "16"),  # full-width digits are not ASCII digits
        ("1071011508900001", "provinsi"),  # province 10
        ("9571011508900001", "provinsi"),  # province 95
        ("6271010008900001", "tanggal"),  # day 00
        ("6271013208900001", "tanggal"),  # day 32
        ("6271014008900001", "tanggal"),  # day 40
        ("6271017208900001", "tanggal"),  # day 72
        ("6271011500900001", "bulan"),  # month 00
        ("6271011513900001", "bulan"),  # month 13
        ("6271011508900000", "urut"),  # serial 0000
        ("", "16"),
    ],
)
def test_a_nik_of_the_wrong_form_is_told_why(nik: str, why: str):
    problem = nik_problem(nik)
    assert problem is not None and why in problem.indonesian
    assert nik not in problem.indonesian + problem.english or nik == ""


def test_the_nik_is_kept_as_a_keyed_hash():
    one = nik_hash(b"k" * 32, "6271011508900001")
    assert one == nik_hash(b"k" * 32, "6271011508900001")
    assert one != nik_hash(b"x" * 32, "6271011508900001")
    assert "6271011508900001" not in one and len(one) == 64


def test_eligibility_by_type_and_region_regardless_of_case():
    regencies, types = ("Kota Palangka Raya", "Kabupaten Kapuas"), ("individual",)
    assert ineligible(regencies, types, "individual", "kota palangka raya ") is None
    assert ineligible(regencies, types, "individual", "KABUPATEN KAPUAS") is None
    assert ineligible(regencies, types, "individual", "Kabupaten Katingan") is not None
    assert ineligible(regencies, types, "agency", "Kabupaten Kapuas") is not None
    assert ineligible((), types, "individual", "anywhere at all") is None


def test_the_period_is_inclusive_in_the_hubs_dates():
    starts, ends = date(2026, 12, 1), date(2026, 12, 31)
    assert status_on(starts, ends, date(2026, 11, 30)) == "upcoming"
    assert status_on(starts, ends, starts) == "open"
    assert status_on(starts, ends, ends) == "open"
    assert status_on(starts, ends, date(2027, 1, 1)) == "ended"


def test_the_drawn_order_is_cpythons_seeded_shuffle():
    tickets = [f"T-C{n:05d}" for n in range(50)]
    expected = list(tickets)
    random.Random(42).shuffle(expected)

    assert drawn_order(42, tickets) == expected
    assert drawn_order(42, tickets) == drawn_order(42, list(tickets))  # the same, every time
    assert drawn_order(43, tickets) != expected
    assert tickets == [f"T-C{n:05d}" for n in range(50)]  # not shuffled in place
    assert ALGORITHM == "cpython-random-shuffle-v1"


def test_the_same_seed_picks_the_same_places_whatever_the_tickets():
    """Two programmes with the same applicants in the same order and the same seed draw the
    same applicants: the shuffle moves places, not values."""
    ours = [f"A{n}" for n in range(30)]
    theirs = [f"B{n}" for n in range(30)]
    assert [ours.index(c) for c in drawn_order(7, ours)] == [
        theirs.index(c) for c in drawn_order(7, theirs)
    ]


def test_winners_are_taken_greedily_while_they_fit():
    costs = {"a": 5, "b": 10, "c": 5, "d": 1}
    assert greedy(["a", "b", "c", "d"], costs.__getitem__, 11) == ["a", "c", "d"]
    assert greedy(["b", "a"], costs.__getitem__, 9) == ["a"]
    assert greedy(["a"], costs.__getitem__, 0) == []


def test_all_are_admitted_when_they_fit_else_the_lottery_draws():
    tickets = ["T-AAAAAA", "T-BBBBBB", "T-CCCCCC"]
    costs = dict.fromkeys(tickets, 5)
    assert draw(1, tickets, costs, 15).kind == "all_admitted"
    assert draw(1, tickets, costs, 15).winners == tickets
    drawn = draw(1, tickets, costs, 10)
    assert drawn.kind == "lottery" and drawn.winners == drawn_order(1, tickets)[:2]
    assert replay(1, tickets, costs, 10) == drawn.winners


def test_a_ticket_is_short_random_and_of_its_form():
    tickets = {new_programme_ticket() for _ in range(200)}
    assert len(tickets) > 190  # random, not a counter
    assert all(re.fullmatch(r"T-[0-9A-HJKMNP-TV-Z]{6}", ticket) for ticket in tickets)
