import re

import pytest

from helpers import python_support
from tests.notebook_utils import ROOT


@pytest.mark.parametrize("version", [(3, 10), (3, 13), (3, 11, 7)])
def test_supported_pythons_need_no_advice(version):
    assert python_support.python_advice(version) == ""


def test_a_python_too_new_for_tensorflow_gets_the_command_for_a_supported_one():
    advice = python_support.python_advice((3, 14))
    assert "no wheels for Python 3.14" in advice and "uv venv --python 3.12" in advice


def test_a_python_too_old_is_told_the_supported_range():
    assert "Install Python 3.10 to 3.13" in python_support.python_advice((3, 9))


def test_pyproject_requires_the_pythons_the_course_supports():
    text = (ROOT / "pyproject.toml").read_text()
    oldest, newest = python_support.OLDEST_PYTHON, python_support.NEWEST_PYTHON
    expected = f'requires-python = ">={oldest[0]}.{oldest[1]},<{newest[0]}.{newest[1] + 1}"'
    assert re.search(r"^requires-python = .*$", text, re.MULTILINE)[0] == expected
