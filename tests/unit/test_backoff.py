"""The status callbacks' retry schedule: doubling waits with full jitter, capped at an hour,
given up on a day after the change."""

import random
from datetime import UTC, datetime, timedelta

from shared.backoff import RetryPolicy

# The service's defaults (services/orders/app.py Settings).
POLICY = RetryPolicy(first_retry_seconds=5, max_retry_seconds=3600, give_up_seconds=86400)
CHANGED_AT = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def attempts_until(
    policy: RetryPolicy, draw, recovers_after: float | None = None
) -> tuple[list[float], bool]:
    """Seconds after the change at which each attempt is made, and whether the last one got
    through, for an endpoint that fails until `recovers_after` (None: for ever)."""
    times, now = [], CHANGED_AT
    while True:
        elapsed = (now - CHANGED_AT).total_seconds()
        times.append(elapsed)
        if recovers_after is not None and elapsed >= recovers_after:
            return times, True
        retry_at = policy.next_attempt(len(times), CHANGED_AT, now, draw)
        if retry_at is None:
            return times, False
        now = retry_at


def test_the_ceilings_double_from_five_seconds_to_an_hour():
    ceilings = [POLICY.ceiling(attempt) for attempt in range(1, 14)]

    assert ceilings == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600, 3600]
    assert POLICY.ceiling(10_000) == 3600


def test_full_jitter_waits_anywhere_from_nothing_to_the_ceiling():
    assert POLICY.delay(4, draw=lambda: 0.0) == 0
    assert POLICY.delay(4, draw=lambda: 0.5) == 20
    assert POLICY.delay(4, draw=lambda: 0.999) < 40


def test_waiting_every_ceiling_makes_34_attempts_the_last_on_the_deadline():
    times, delivered = attempts_until(POLICY, draw=lambda: 1.0)

    assert not delivered
    assert len(times) == 34
    assert times[:12] == [0, 5, 15, 35, 75, 155, 315, 635, 1275, 2555, 5115, 8715]
    assert times[-2:] == [84315, 86400]
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) == 3600


def test_random_waits_give_up_a_day_after_the_change_never_waiting_over_the_cap():
    for seed in range(200):
        times, delivered = attempts_until(POLICY, draw=random.Random(seed).random)

        assert not delivered and times[-1] == 86400
        assert max(b - a for a, b in zip(times, times[1:], strict=False)) <= 3600
        assert 34 <= len(times) < 200


def test_an_endpoint_down_for_an_hour_gets_its_callback_within_the_cap_of_recovery():
    for seed in range(200):
        times, delivered = attempts_until(
            POLICY, draw=random.Random(seed).random, recovers_after=3600
        )

        assert delivered
        assert 3600 <= times[-1] <= 3600 + 3600


def test_a_short_outage_is_retried_within_seconds():
    times, delivered = attempts_until(POLICY, draw=lambda: 1.0, recovers_after=10)

    assert delivered and times == [0, 5, 15]


def test_a_replay_gives_a_new_day_from_the_replay():
    replayed_at = CHANGED_AT + timedelta(days=3)

    retry_at = POLICY.next_attempt(60, replayed_at, replayed_at, draw=lambda: 1.0)

    assert retry_at == replayed_at + timedelta(hours=1)
    assert POLICY.next_attempt(1, CHANGED_AT, replayed_at) is None
