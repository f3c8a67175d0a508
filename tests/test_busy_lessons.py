import os
import subprocess
import sys
import time

import nbformat
import pytest

from benchmarks import busy_lessons


def notebook(*sources: str) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell(source, id=f"c{i}") for i, source in enumerate(sources)]
    return nbformat.v4.new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has stopped running
    except FileNotFoundError:
        return False


def test_failing_cell_names_the_first_cell_with_an_error_and_its_message():
    book = notebook("x = 1", "assert x == 2", "1 / 0")
    book.cells[1].outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="x is not 2\nmore")]
    book.cells[2].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero")]
    assert busy_lessons.failing_cell(book) == "cell c1: AssertionError: x is not 2"
    assert busy_lessons.failing_cell(notebook("x = 1")) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_busy_process_spins_and_is_killed_when_the_block_fails():
    with pytest.raises(RuntimeError), busy_lessons.busy("spin") as process:
        time.sleep(0.5)
        assert alive(process.pid) and process.poll() is None
        raise RuntimeError("a run failed")
    assert not alive(process.pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_busy_process_stops_by_itself_when_its_parent_is_killed():
    code = "from benchmarks.busy_lessons import busy\nwith busy('matmul') as p:\n    print(p.pid, flush=True); input()"
    parent = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    parent.kill()  # no `finally` runs: the child must notice by itself
    parent.wait()
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child)


def test_busy_rejects_an_unknown_load():
    with pytest.raises(ValueError, match="load: expected one of"), busy_lessons.busy("video call"):
        pass


def test_run_live_reports_the_failing_cell_and_the_live_profile(tmp_path, monkeypatch):
    for name in ("COURSE_PROFILE", "COURSE_PLAIN_PROGRESS", "PYTHONPATH"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    path = tmp_path / "lesson.ipynb"
    nbformat.write(
        notebook("import os, helpers", "assert os.environ['COURSE_PROFILE'] == 'live'", "assert 1 == 2, 'no'"), path
    )
    failure, seconds, cells = busy_lessons.run_live(path, timeout=120)
    assert failure == "cell c2: AssertionError: no" and list(cells) == ["c0", "c1", "c2"]
    assert 0 < sum(cells.values()) < seconds


def test_main_refuses_a_lesson_that_does_not_exist(capsys):
    with pytest.raises(SystemExit):
        busy_lessons.main(["99_nothing"])
    assert "no lesson matches" in capsys.readouterr().err


def test_describe_names_the_failure_and_the_slowest_cell():
    line = busy_lessons.describe("cell c1: AssertionError: no", 12.34, {"c0": 0.5, "c1": 3.0, "c2": 1.0})
    assert line == "cell c1: AssertionError: no (12.3 s; cells 4.5 s, slowest c1 3.0 s)"
    assert busy_lessons.describe(None, 2.0, {}) == "pass (2.0 s; cells 0.0 s, slowest None 0.0 s)"
