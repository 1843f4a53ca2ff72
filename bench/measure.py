"""Small, pure helpers the benchmark suite shares: percentiles, slopes, and what /proc says about a
process (its resident memory and the CPU time it has used)."""

import math
import os
from collections.abc import Iterable, Sequence

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The value at `fraction` (0..1) of the sorted values, by nearest rank; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(fraction * len(ordered)) - 1, 0)
    return ordered[min(rank, len(ordered) - 1)]


def latency_summary(seconds: Sequence[float]) -> dict:
    """p50, p99 and max in milliseconds (None when there are none)."""

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)

    return {
        "count": len(seconds),
        "p50_ms": ms(percentile(seconds, 0.50)),
        "p99_ms": ms(percentile(seconds, 0.99)),
        "max_ms": ms(max(seconds) if seconds else None),
    }


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x; None with fewer than two distinct x."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def rss_mb(pid: int) -> float | None:
    """Resident set size (VmRSS) in MB, from /proc/<pid>/status; None if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024  # kB
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time the process has used, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def flat(
    points: Sequence[tuple[float, float]], *, skip_fraction: float = 0.2, tolerance: float
) -> tuple[bool | None, float | None]:
    """Whether a series stays flat: its least-squares slope (units per second), leaving out the
    first `skip_fraction` of the samples (warm-up), is at most `tolerance` units per second.
    Answers (flat, slope); (None, None) with too few samples to tell."""
    kept = list(points)[int(len(points) * skip_fraction) :]
    rate = slope(kept)
    if rate is None:
        return None, None
    return rate <= tolerance, rate


def ratio(value: float | None, ceiling: float | None) -> float | None:
    if value is None or not ceiling:
        return None
    return round(value / ceiling, 3)


def rate_the_cpus_allow(cpu_ms_per_order: Iterable[float], cpus: int) -> int | None:
    """Orders a second that `cpus` fully busy could carry at this CPU cost per order (each
    process's and server's, summed): an upper bound, which no rate on that machine passes."""
    total = sum(cpu_ms_per_order)
    return round(1000 * cpus / total) if total > 0 else None
