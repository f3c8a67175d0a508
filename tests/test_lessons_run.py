"""Every lesson runs top to bottom in the test profile (smoke unless ``COURSE_PROFILE`` says otherwise).

Each lesson executes once per session (``tests.notebook_utils.LessonRuns``, the ``lesson_runs`` fixture),
as the website build executes it; the output noise test and the website's pages read that same run.
nbval does not run the lessons in the default run; ``python -m pytest notebooks/NN_name.ipynb`` runs one
lesson through nbval, and ``python -m pytest tests/test_lessons_run.py -k NN`` through this test.
"""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tests.notebook_utils import EDITION, EDITIONS, KERNEL, ROOT, LessonRuns, build_site_tool, executed_lessons

build_site = build_site_tool()
LESSONS = executed_lessons()


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.path.name for lesson in LESSONS])
def test_lesson_runs_top_to_bottom(lesson_runs, lesson):
    lesson_runs.notebook(lesson)  # fails naming the notebook and the cell that raised


def write_lesson(folder, name: str, *sources: str) -> object:
    """A ``build_site.Lesson`` in ``folder`` whose code cells are ``sources`` (ids "NN-001", "NN-002", ...)."""
    number = name.split("_", 1)[0]
    cells = [new_markdown_cell(f"# {number} · tiny", id=f"{number}-000")]
    cells += [new_code_cell(source, id=f"{number}-{i:03d}") for i, source in enumerate(sources, 1)]
    path = folder / name
    nbformat.write(new_notebook(cells=cells, metadata=KERNEL), path)
    return build_site.Lesson(path)


@pytest.fixture
def tiny_runs(tmp_path, monkeypatch):
    """LessonRuns over a lesson that runs and one that fails, counting the executions, with no VGG16 weights."""
    printed = (
        "print(os.environ['COURSE_PROFILE'])",
        "print(*(os.environ.get(name) for name in ('COURSE_VGG16_WEIGHTS', 'COURSE_PLAIN_PROGRESS', 'COURSE_STATIC')))",
    )
    good = write_lesson(tmp_path, "00_good.ipynb", "import os", *printed)
    broken = write_lesson(tmp_path, "07_broken.ipynb", "x = 1", "x / 0", "print('never')")
    folder = tmp_path / "executed"
    folder.mkdir()
    (folder / broken.path.name).write_text("an older run's notebook")
    monkeypatch.setattr(build_site, "random_weights_reason", lambda: "no weights on this test machine")
    monkeypatch.setenv("COURSE_PLAIN_PROGRESS", "1")
    monkeypatch.delenv("COURSE_VGG16_WEIGHTS", raising=False)
    monkeypatch.delenv("COURSE_STATIC", raising=False)  # the site build sets it for the kernel alone
    executed = []
    real_execute = build_site.execute

    def counting_execute(lesson, *args):
        executed.append(lesson)
        return real_execute(lesson, *args)

    monkeypatch.setattr(build_site, "execute", counting_execute)
    return LessonRuns([good, broken], folder, "live", timeout=60), good, broken, executed


def test_a_failing_lesson_fails_its_test_naming_notebook_and_cell(tiny_runs):
    runs, good, broken, executed = tiny_runs
    for _ in range(2):  # the second time from memory
        with pytest.raises(pytest.fail.Exception) as err:
            test_lesson_runs_top_to_bottom(runs, broken)
        assert str(err.value).startswith("07_broken.ipynb: cell 07-002 (code cell 2) failed")
        assert "ZeroDivisionError" in str(err.value)
    assert executed == [broken]
    assert not (runs.folder / broken.path.name).exists(), "a failed run leaves no executed notebook to render"
    with pytest.raises(pytest.fail.Exception, match="^07_broken.ipynb: cell 07-002"):
        runs.executed_folder()  # the website is not built from a course with a failing lesson
    assert executed == [broken, good], "each lesson ran once"


def test_each_lesson_runs_once_in_the_site_builds_environment(tiny_runs):
    runs, good, _, executed = tiny_runs
    environ = dict(os.environ)
    first = runs.notebook(good)
    first.cells.clear()  # a copy: the next caller gets the outputs all the same
    notebook = runs.notebook(good)
    assert executed == [good] and dict(os.environ) == environ
    printed = [cell.outputs[0].text for cell in notebook.cells[2:]]
    assert printed == ["live\n", "random 1 1\n"], "and no widgets in a run nobody watches"
    written = nbformat.read(runs.folder / good.path.name, as_version=4)
    assert written.metadata[build_site.RUN_RECORD]["random_weights"] == "no weights on this test machine"
    assert "in the live profile" in build_site.footer(written.metadata[build_site.RUN_RECORD])


def test_a_dying_kernel_fails_its_lesson_naming_the_cell(tmp_path):
    lesson = write_lesson(tmp_path, "08_dies.ipynb", "x = 1", "import os\nos._exit(3)")
    runs = LessonRuns([lesson], tmp_path / "executed", "smoke", timeout=60)
    with pytest.raises(pytest.fail.Exception, match=r"^08_dies.ipynb: cell 08-00\d \(code cell \d\) failed"):
        runs.notebook(lesson)


def test_the_default_run_takes_every_lesson_once(request):
    assert [lesson.path for lesson in LESSONS] == sorted(EDITIONS[EDITION].glob("*.ipynb"))
    # nbval would run the lessons a second time if it collected notebooks/ by default.
    assert request.config.getini("testpaths") == ["tests"]


def test_one_lesson_named_on_the_command_line_still_runs_through_nbval():
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "notebooks/02_pooling.ipynb"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and "notebooks/02_pooling.ipynb::Cell 0" in result.stdout, result.stdout[-2000:]
    command[-1] = "notebooks/zh/02_pooling.ipynb"  # the Chinese edition's too
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and "notebooks/zh/02_pooling.ipynb::Cell 0" in result.stdout, result.stdout[-2000:]
