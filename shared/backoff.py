"""When to try a failed delivery again (a status callback, a message to a person): exponential
backoff with full jitter, capped, and given up on a set time after the first try (or after the
latest replay).

Pure: the clock and the random draw are arguments, so the schedule is tested in milliseconds.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

# 2**40 first retries is far past any cap; stopping there keeps the power a float.
_MAX_DOUBLINGS = 40


@dataclass(frozen=True)
class RetryPolicy:
    first_retry_seconds: float
    max_retry_seconds: float
    give_up_seconds: float

    def ceiling(self, attempt: int) -> float:
        """The longest wait after the `attempt`th failed attempt (1, 2, ...): doubling, capped."""
        doublings = min(max(attempt - 1, 0), _MAX_DOUBLINGS)
        return min(self.max_retry_seconds, self.first_retry_seconds * 2**doublings)

    def delay(self, attempt: int, draw: Callable[[], float] = random.random) -> float:
        """Full jitter, anywhere from none to the ceiling: the callbacks that piled up while a
        partner was down come back spread out instead of all at once."""
        return draw() * self.ceiling(attempt)

    def next_attempt(
        self,
        attempt: int,
        retrying_since: datetime,
        now: datetime,
        draw: Callable[[], float] = random.random,
    ) -> datetime | None:
        """When to try again after the `attempt`th attempt failed at `now`; None: give up.

        The last try falls on the deadline itself rather than a wait short of it.
        """
        deadline = retrying_since + timedelta(seconds=self.give_up_seconds)
        if now >= deadline:
            return None
        return min(now + timedelta(seconds=self.delay(attempt, draw)), deadline)
