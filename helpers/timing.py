"""Fair timing on a noisy machine: run candidates interleaved and keep each one's best time."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping


def best_times(
    candidates: Mapping[str, Callable[[], object]], repeats: int = 5, warmup: int = 1, settle: float = 0.2
) -> dict[str, float]:
    """Seconds of each candidate's fastest run.

    The candidates take turns (A, B, C, A, B, C, ...), so a burst of background load slows all of
    them alike instead of one; the minimum is the run least disturbed by noise.

    Args:
        candidates: name -> function with no arguments.
        repeats: timed runs of each.
        warmup: untimed runs of each first (caches, lazy initialization, tracing).
        settle: seconds to wait before each timed run. OpenBLAS and TensorFlow keep their worker
            threads spinning for a moment after a call; without the pause they steal the cores from
            the next candidate (measured here: TensorFlow's conv ran 1.8x slower right after NumPy's).
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats, warmup: expected repeats >= 1 and warmup >= 0, got {repeats} and {warmup}")
    for _ in range(warmup):
        for fn in candidates.values():
            fn()
    best = {name: float("inf") for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            time.sleep(settle)
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best
