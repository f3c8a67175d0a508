import subprocess
import sys

import pytest

from helpers import data, photos, readiness
from tests.notebook_utils import ROOT


def test_the_report_marks_each_check_and_advises_only_on_failures():
    checks = [readiness.Check("Python", True, "3.11", "never shown"), readiness.Check("data", False, "none", "get it")]
    lines = readiness.report(checks).splitlines()
    assert lines == ["OK   Python  3.11", "FIX  data    none", "             -> get it"]


def test_this_machine_is_ready():
    checks = readiness.run_checks()
    assert [check.name.split()[0] for check in checks][:2] == ["Python", "TensorFlow"]
    assert all(check.ok for check in checks), readiness.report(checks)


def test_missing_data_gives_offline_advice(monkeypatch):
    monkeypatch.setattr(data, "find_fashion_mnist", lambda: None)
    check = readiness._fashion_mnist()
    assert not check.ok
    text = readiness.report([check])
    assert text.startswith("FIX") and "apt-get install dataset-fashion-mnist" in text


def test_bad_profile_is_a_failed_check_not_a_crash(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "warp")
    check = readiness._profile()
    assert not check.ok and "warp" in check.advice


@pytest.mark.parametrize("version", [(3, 10), (3, 13)])
def test_supported_pythons_need_no_advice(version):
    assert readiness.python_advice(version) == ""


def test_a_python_too_new_for_tensorflow_gets_the_command_for_a_supported_one():
    advice = readiness.python_advice((3, 14))
    assert "no wheels for Python 3.14" in advice and "uv venv --python 3.12" in advice


def test_a_python_too_old_is_told_the_supported_range():
    assert "Install Python 3.10 to 3.13" in readiness.python_advice((3, 9))


def test_pyproject_requires_the_pythons_the_readiness_check_accepts():
    import re

    text = (ROOT / "pyproject.toml").read_text()
    oldest, newest = readiness.OLDEST_PYTHON, readiness.NEWEST_PYTHON
    expected = f'requires-python = ">={oldest[0]}.{oldest[1]},<{newest[0]}.{newest[1] + 1}"'
    assert re.search(r"^requires-python = .*$", text, re.MULTILINE)[0] == expected


def test_without_tensorflow_the_import_error_says_what_to_do():
    code = "import sys; sys.modules['tensorflow'] = None; import helpers.environment"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert (
        "ImportError: TensorFlow cannot be imported" in result.stderr
        and "pip install -r requirements.txt" in result.stderr
    )


def test_the_tensorflow_check_reports_a_failed_import_instead_of_crashing(monkeypatch):
    monkeypatch.setitem(sys.modules, "helpers.environment", None)
    check = readiness._tensorflow()
    assert not check.ok and "not importable" in check.found and "requirements.txt" in check.advice


def test_missing_photos_say_how_to_restore_them(monkeypatch):
    monkeypatch.setattr(photos, "sample_photos", lambda: [photos.IMAGES_DIR / "cat.png"])
    check = readiness._photos()
    assert not check.ok and check.found.startswith("1 in ") and "git checkout -- data/images" in check.advice


@pytest.mark.parametrize("tf_version, keras_version", [("2.15.1", "3.15.1"), ("2.21.0", "2.15.0")])
def test_an_old_tensorflow_or_keras_2_is_a_failed_check(monkeypatch, tf_version, keras_version):
    from helpers.environment import keras, tf

    monkeypatch.setattr(tf, "__version__", tf_version)
    monkeypatch.setattr(keras, "__version__", keras_version)
    check = readiness._tensorflow()
    assert not check.ok and check.found == f"TF {tf_version}, Keras {keras_version}"
    assert "pip install -r requirements.txt" in check.advice
