import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import timing
from tests.notebook_utils import ROOT


def test_candidates_take_turns_and_each_gets_its_best(monkeypatch):
    calls = []
    clock = iter([0.0, 3.0, 10.0, 11.0, 20.0, 21.5, 30.0, 30.5])  # durations: a=3, b=1, a=1.5, b=0.5
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(clock))
    sleeps = []
    monkeypatch.setattr(timing.time, "sleep", sleeps.append)
    result = timing.best_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=2, warmup=1)
    assert calls == ["a", "b", "a", "b", "a", "b"]
    assert result == {"a": 1.5, "b": 0.5}
    assert sleeps == [0.2] * 4  # a pause before every timed run


def test_bad_repeats_are_rejected():
    with pytest.raises(ValueError, match="repeats, warmup"):
        timing.best_times({"a": lambda: None}, repeats=0)


def resident_bytes() -> int:
    """This process's memory right now (``VmRSS``), read independently of the code under test."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


linux_only = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the memory from Linux's /proc")


@linux_only
def test_the_peak_remembers_memory_already_given_back():
    # In a fresh, small process: in this one, TensorFlow's threads and allocator (a few GB by now)
    # decide when freed pages go back, and the precondition below would hang on their timing.
    child = (
        "import json, numpy as np\n"
        "from pathlib import Path\n"
        "from helpers import peak_memory_bytes\n"
        "def resident():\n"
        "    line = next(l for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmRSS:'))\n"
        "    return int(line.split()[1]) * 1024\n"
        "block = np.ones(50_000_000 // 8)  # 50 MB, every page written\n"
        "holding = resident()\n"
        "del block  # an allocation this large is unmapped at once: the process shrinks\n"
        "print(json.dumps({'holding': holding, 'after': resident(), 'peak': peak_memory_bytes()}))"
    )
    run = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True, cwd=ROOT)
    memory = json.loads(run.stdout)
    assert memory["after"] < memory["holding"] - 40_000_000, f"precondition: the block went back to the system {memory}"
    # Linux counts resident pages per thread and sums them lazily: allow a few MB of slack.
    assert memory["peak"] > memory["holding"] - 5_000_000, f"a peak, not the current size (bytes, not KiB) {memory}"


@linux_only
def test_the_peak_of_a_child_does_not_include_its_parents():
    # getrusage() would: a child started by a big process inherits its peak. The parent is a
    # subprocess too, so that this test process stays small.
    parent = (
        "import subprocess, sys\n"
        "block = b'x' * 100_000_000\n"
        "child = 'from helpers.timing import peak_memory_bytes; print(peak_memory_bytes())'\n"
        "print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True, check=True).stdout)"
    )
    run = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, check=True, cwd=ROOT)
    assert int(run.stdout) < 100_000_000, f"the child reports {int(run.stdout):,} bytes: its parent's memory"


def test_the_peak_is_none_where_neither_proc_nor_resource_exist(monkeypatch, tmp_path):
    monkeypatch.setattr(timing, "_PROC_STATUS", tmp_path / "no-proc")
    monkeypatch.setitem(sys.modules, "resource", None)  # as on Windows: the import fails
    assert timing.peak_memory_bytes() is None


@linux_only
def test_without_proc_the_peak_comes_from_getrusage_in_bytes(monkeypatch, tmp_path):
    monkeypatch.setattr(timing, "_PROC_STATUS", tmp_path / "no-proc")
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    # KiB not converted would be 1024 times too small; converted twice, beyond the machine's memory.
    assert resident_bytes() / 2 < timing.peak_memory_bytes() < physical
