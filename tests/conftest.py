import os

import pytest

from tests.notebook_utils import EDITION, ROOT, LessonRuns, executed_lessons

# `pytest notebooks/NN.ipynb` runs a lesson through nbval in a kernel that inherits this process's
# environment: no widgets there either (helpers.live.widgets_wanted).
os.environ.setdefault("COURSE_STATIC", "1")


def need_fashion_mnist() -> None:
    """Skip a test that needs the real Fashion-MNIST when it is missing, except in CI, where it must be there."""
    from helpers import data

    if data.find_fashion_mnist() is None:
        if os.environ.get("CI"):
            pytest.fail("Fashion-MNIST is missing in CI: .ci/run installs Debian's dataset-fashion-mnist")
        pytest.skip("Fashion-MNIST is not on this machine")


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras home folder (``KERAS_HOME``): where helpers put downloads and installed weights."""
    home = tmp_path / "keras"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def lesson_runs() -> LessonRuns:
    """Every lesson of the edition under test, executed once per session in the test profile into
    _build/pytest/executed/ (the Chinese edition's into executed-zh/)."""
    folder = ROOT / "_build" / "pytest" / ("executed" if EDITION == "en" else f"executed-{EDITION}")
    return LessonRuns(executed_lessons(), folder, os.environ.get("COURSE_PROFILE", "smoke"))
