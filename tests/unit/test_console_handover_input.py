"""The counter's hand-over box: the order code out of what was typed or scanned (a bare code, or
the tracking link of the buyer's QR), and nothing out of anything else."""

import pytest

from services.console import handover_input
from services.console.handover_input import EMPTY, MAX_TYPED, NOT_A_CODE, TOO_LONG, read

CODE = "7K3QDM9X2A"


@pytest.mark.parametrize(
    "typed",
    [
        "7K3QD-M9X2A",
        "7k3qd-m9x2a",
        " 7K3QD M9X2A \n",  # read out and typed with a space; a scanner's Enter
        "7K3QDM9X2A",
        "https://pesan.plut.example/lacak/7K3QD-M9X2A",
        "http://localhost:8090/lacak/7K3QD-M9X2A",
        "HTTPS://PESAN.PLUT.EXAMPLE/LACAK/7K3QD-M9X2A",  # a scanner with Caps Lock on
        "https://pesan.plut.example/lacak/7K3QD-M9X2A/",
        "https://pesan.plut.example/lacak/7K3QD-M9X2A?baru=1",
        "https://pesan.plut.example/lacak/7K3QD-M9X2A#status",
        "pesan.plut.example/lacak/7K3QD-M9X2A",
        "https://plut.kalteng.example/pesan/lacak/7K3QD-M9X2A",  # the site under a path
        "/lacak/7K3QD-M9X2A",
    ],
)
def test_the_code_is_read_from_a_code_or_the_tracking_link(typed):
    reading = read(typed)
    assert reading == handover_input.Reading(code=CODE)
    assert reading.shown == "7K3QD-M9X2A"


def test_look_alikes_are_read_as_crockford_reads_them():
    assert read("OIL00-ABCDE").code == "01100ABCDE"


@pytest.mark.parametrize(
    "typed",
    [
        "7K3QD-M9X2",  # one short
        "7K3QD-M9X2AB",
        "7K3QD-M9X2U",  # U is not in the alphabet
        "javascript:alert(1)//lacak/7K3QD-M9X2A",
        "javascript://lacak/7K3QD-M9X2A",
        "data:text/html,<script>alert(1)</script>",
        "ftp://pesan.plut.example/lacak/7K3QD-M9X2A",
        "//jahat.example/lacak/7K3QD-M9X2A",
        "https://pesan.plut.example/lacak/../v1/partners",
        "https://pesan.plut.example/../lacak/7K3QD-M9X2A",
        "https://pesan.plut.example/a/./lacak/7K3QD-M9X2A",
        "https://pesan.plut.example/lacak/7K3QD-M9X2A/../../v1/partners",
        "https://pesan.plut.example/pesan/7K3QD-M9X2A",
        "https://pesan.plut.example/lacak/7K3QD%2DM9X2A",
        "https://user:pw@pesan.plut.example/lacak/7K3QD-M9X2A",
        "../../lacak/7K3QD-M9X2A",
        "7K3QD\x00M9X2A",
        "7K3QD-M9X2A\x1b[2J",
        "7K3QD\u200bM9X2A",  # a zero-width space
        "７K3QD-M9X2A",  # a full-width digit
        "<b>7K3QD-M9X2A</b>",
    ],
)
def test_anything_else_is_no_code(typed):
    assert read(typed) == handover_input.Reading(refused=NOT_A_CODE)


@pytest.mark.parametrize("typed", ["", "   ", "\n"])
def test_nothing_typed_asks_for_a_code(typed):
    assert read(typed).refused is EMPTY


def test_a_huge_input_is_refused_before_it_is_read():
    assert read("7K3QD-M9X2A" + " " * MAX_TYPED).refused is TOO_LONG
    assert read("A" * 1_000_000).refused is TOO_LONG
    assert read("https://p.example/lacak/7K3QD-M9X2A?" + "a" * (MAX_TYPED - 40)).code == CODE
