"""Run lessons in the live profile with a busy process beside them, as on a presenter's laptop.

    python -m benchmarks.busy_lessons [01 03 ...] [--repeat 4] [--load spin|matmul|none] [--timeout 600]

For each lesson (all of them, or those whose names start with the prefixes given), start one
CPU-bound process (``spin``: a Python loop; ``matmul``: single-threaded NumPy matrix products; either
takes one core, like a browser and a video call), run the notebook top to bottom with
``COURSE_PROFILE=live`` and ``COURSE_PLAIN_PROGRESS=1`` in a fresh kernel, ``--repeat`` times, and
print one line per run: pass or the failing cell and its error, the seconds from kernel start to
shutdown, how many of them the cells took, and the slowest cell. The busy
process is killed when the lesson's runs end, also when a run fails or is interrupted. Exits 1 if
any run failed. Not part of CI: lessons 06 and 07 take a few minutes each under load. Without the
VGG16 ImageNet weights, run it with ``COURSE_VGG16_WEIGHTS=random`` (lesson 04 stops otherwise).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import nbformat

from tests.notebook_utils import NOTEBOOKS, ROOT, read

# Each load stops by itself once its parent (argv[1]) is gone, so even a killed run leaves no busy process behind.
LOADS = {
    "spin": "import os, sys\nparent = int(sys.argv[1])\nwhile os.getppid() == parent: pass",
    "matmul": "import os, sys\nimport numpy as np\na, parent = np.ones((256, 256)), int(sys.argv[1])\n"
    "while os.getppid() == parent: a @ a",
    "none": None,
}


@contextlib.contextmanager
def busy(load: str = "spin") -> Iterator[subprocess.Popen | None]:
    """A CPU-bound child process for the duration of the ``with`` block; killed however the block ends.
    ``"none"`` starts nothing (yields None), to compare with a quiet machine."""
    if load not in LOADS:
        raise ValueError(f"load: expected one of {sorted(LOADS)}, got {load!r}")
    if LOADS[load] is None:
        yield None
        return
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # one core
    process = subprocess.Popen([sys.executable, "-c", LOADS[load], str(os.getpid())], env=env)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def failing_cell(notebook: nbformat.NotebookNode) -> str | None:
    """``"cell <id>: <ErrorName>: <message>"`` for the first cell with an error output, or None if none has one."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = output.get("evalue", "").strip().splitlines()
                return f"cell {cell.get('id')}: {output.get('ename')}: {message[0] if message else ''}"[:200]
    return None


def cell_seconds(notebook: nbformat.NotebookNode) -> dict[str, float]:
    """Seconds each executed cell took (cell id -> seconds), from the timings nbclient records in its metadata."""
    seconds = {}
    for cell in notebook.cells:
        times = cell.get("metadata", {}).get("execution", {})
        if "iopub.status.busy" in times and "shell.execute_reply" in times:
            start, end = (
                datetime.fromisoformat(times[k].replace("Z", "+00:00"))
                for k in ("iopub.status.busy", "shell.execute_reply")
            )
            seconds[cell.get("id")] = (end - start).total_seconds()
    return seconds


def run_live(path: Path, timeout: int = 600) -> tuple[str | None, float, dict[str, float]]:
    """Execute one notebook in the live profile; return the failure (None if it passed), the seconds it took
    from kernel start to shutdown, and the seconds of each cell it ran."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellControlSignal, DeadKernelError

    notebook = read(path)
    # The kernel inherits these at start-up; PYTHONPATH makes it import this checkout's helpers.
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT)]
    os.environ.update(
        COURSE_PROFILE="live",
        COURSE_PLAIN_PROGRESS="1",
        COURSE_STATIC="1",
        PYTHONPATH=os.pathsep.join([str(ROOT), *paths]),
    )
    current = {"id": None}  # the cell running now: the one to blame for a timeout or a dead kernel
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_start=lambda cell, cell_index: current.update(id=cell.get("id")),
    )
    start, failure = time.perf_counter(), None
    try:
        client.execute()
    except (CellControlSignal, DeadKernelError) as error:  # a cell's error, a cell's timeout, a dead kernel
        failure = failing_cell(notebook) or f"cell {current['id']}: {type(error).__name__}: {str(error).strip()[:150]}"
    return failure, time.perf_counter() - start, cell_seconds(notebook)


def describe(failure: str | None, seconds: float, cells: dict[str, float]) -> str:
    """One run in words: pass or the failure, then its seconds, the cells' share of them and the slowest cell."""
    slowest = max(cells, key=cells.get, default=None)
    times = f"{seconds:.1f} s; cells {sum(cells.values()):.1f} s, slowest {slowest} {cells.get(slowest, 0.0):.1f} s"
    return f"{failure or 'pass'} ({times})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="name prefixes, e.g. 01 03 (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per lesson (default 1)")
    parser.add_argument("--load", choices=sorted(LOADS), default="spin", help="what the busy process does")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one cell may take (default 600)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` kills the busy process
    chosen = [p for p in NOTEBOOKS if not args.lessons or any(p.name.startswith(x) for x in args.lessons)]
    if not chosen or args.repeat < 1:
        parser.error(
            f"no lesson matches {args.lessons}" if not chosen else f"--repeat: expected >= 1, got {args.repeat}"
        )
    failures = 0
    for path in chosen:
        with busy(args.load):
            for run in range(1, args.repeat + 1):
                failure, seconds, cells = run_live(path, args.timeout)
                failures += failure is not None
                print(f"{path.name} run {run}/{args.repeat}: {describe(failure, seconds, cells)}", flush=True)
    print(f"{failures} failed run(s) with a busy '{args.load}' process", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
