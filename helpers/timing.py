"""Measuring on a noisy machine: time (candidates run interleaved, each one's best kept) and peak memory.

Standard library only, so measuring imports no TensorFlow.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path


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


_PROC_STATUS = Path("/proc/self/status")


def peak_memory_bytes() -> int | None:
    """The most memory (resident set size) this process has held since it started, in bytes.

    On Linux this is ``VmHWM``: ``getrusage``'s figure would also count the memory of the process
    that started this one (a Jupyter kernel started from a big process inherits its peak).
    ``None`` on Windows, which has no ``resource`` module to ask.
    """
    if _PROC_STATUS.exists():
        for line in _PROC_STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, others kibibytes
