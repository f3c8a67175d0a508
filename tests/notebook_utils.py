"""Shared by the tests of notebooks and tools: where the notebooks are, how to load a tool, and the
session's one run of each lesson."""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Which edition the suite executes: "en" (the default) or "zh", the Chinese notebooks, whose code cells are the
# English ones byte for byte (tests/test_translations.py). The drift check executes "zh", so each run of CI
# executes each lesson once per environment and both editions are executed somewhere.
EDITIONS = {"en": ROOT / "notebooks", "zh": ROOT / "notebooks" / "zh"}
EDITION = os.environ.get("COURSE_EDITION", "en")
if EDITION not in EDITIONS:
    raise ValueError(f"COURSE_EDITION: expected one of {sorted(EDITIONS)}, got {EDITION!r}")
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}  # the metadata of a tiny test notebook
CELL_TIMEOUT = 600  # seconds one cell may take in the tests' runs; a smoke cell takes seconds


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def execute(path: Path, profile: str = "smoke", timeout: int = 600) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in ``profile`` and return it with its outputs."""
    from nbclient import NotebookClient

    notebook = read(path)
    env = {**os.environ, "COURSE_PROFILE": profile, "COURSE_STATIC": "1"}  # no widgets: helpers.live.widgets_wanted
    NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute(env=env)  # jupyter_client starts the kernel with it
    return notebook


def load_tool(name: str) -> ModuleType:
    """tools/NAME.py as a module (the tools are scripts, not a package)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@functools.cache
def build_site_tool() -> ModuleType:
    """tools/build_site.py as a module, one for the whole session, so its ``BuildError`` is one class."""
    return load_tool("build_site")


def executed_lessons() -> list:
    """The lessons of the edition the suite executes (``COURSE_EDITION``), as ``build_site.Lesson`` objects."""
    return build_site_tool().find_lessons(EDITIONS[EDITION])


class LessonRuns:
    """Each lesson executed at most once, when first asked for, into ``folder`` as the site build executes it.

    One execution feeds every check of a lesson: its own test, the output noise test and the website's
    pages (rendered from ``folder``). A lesson that failed is remembered with its ``BuildError``, which
    names the notebook and the cell, and is not run again.
    """

    def __init__(self, lessons: list, folder: Path, profile: str, timeout: int = CELL_TIMEOUT) -> None:
        self.lessons, self.folder, self.profile, self.timeout = lessons, folder, profile, timeout
        self._results: dict[str, nbformat.NotebookNode | Exception] = {}
        self._execution = None  # prepared at the first run: it may try to download VGG16's weights

    def notebook(self, lesson) -> nbformat.NotebookNode:
        """``lesson`` (a ``build_site.Lesson``) with its outputs, a copy to do with as one likes; fails the
        calling test, with the build's message, if it did not run to the end."""
        result = self._result(lesson)
        if isinstance(result, Exception):
            pytest.fail(str(result), pytrace=False)
        return copy.deepcopy(result)

    def executed_folder(self) -> Path:
        """``folder``, holding every lesson executed; fails the calling test naming each lesson that failed."""
        failures = [result for result in map(self._result, self.lessons) if isinstance(result, Exception)]
        if failures:
            pytest.fail("\n\n".join(map(str, failures)), pytrace=False)
        return self.folder

    def _result(self, lesson) -> nbformat.NotebookNode | Exception:
        name = lesson.path.name
        if name not in self._results:
            tool = build_site_tool()
            (self.folder / name).unlink(missing_ok=True)  # a failed run must not leave an older run's file
            if self._execution is None:
                self._execution = tool.Execution.prepare(self.profile)
            try:
                self._results[name] = self._execution.run(lesson, self.folder, self.timeout)
            except tool.BuildError as err:
                self._results[name] = err
        return self._results[name]
