import subprocess
import sys

import pytest

from helpers import data, photos, readiness
from tests.conftest import need_fashion_mnist
from tests.notebook_utils import ROOT
from tests.test_environment import fake_gpus


def test_the_report_marks_each_check_and_advises_only_on_failures():
    checks = [readiness.Check("Python", True, "3.11", "never shown"), readiness.Check("data", False, "none", "get it")]
    lines = readiness.report(checks).splitlines()
    assert lines == ["OK   Python  3.11", "FIX  data    none", "             -> get it"]


def test_this_machine_is_ready():
    need_fashion_mnist()  # the one check a developer's machine may fail: skip there, fail in CI
    checks = readiness.run_checks()
    assert [check.name.split()[0] for check in checks][:2] == ["Python", "TensorFlow,"]
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


def test_the_python_check_passes_on_a_supported_python_and_advises_on_another(monkeypatch):
    assert readiness._python().ok, "the tests run on a supported Python"
    monkeypatch.setattr(readiness, "python_advice", lambda: "make a Python 3.12 environment")
    check = readiness._python()
    assert not check.ok and check.name == "Python 3.10-3.13" and check.advice == "make a Python 3.12 environment"


@pytest.mark.parametrize("gpus, found", [([], "CPU only, 16 cores: enough for every lesson"),
                                         (["NVIDIA H200"], "1 GPU (NVIDIA H200), 16 CPU cores")])  # fmt: skip
def test_the_device_line_describes_the_machine_and_says_a_cpu_is_enough(monkeypatch, gpus, found):
    fake_gpus(monkeypatch, gpus)
    check = readiness._device()
    assert check.ok, "every lesson runs on a CPU: the device never needs fixing"
    assert readiness.report([check]) == f"OK   device  {found}"


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
    monkeypatch.setattr(photos, "example_photos", lambda: [photos.IMAGES_DIR / "cat.png"])
    check = readiness._photos()
    assert not check.ok and check.found.startswith("1 in ") and "git checkout -- data/images" in check.advice


@pytest.mark.parametrize(
    "tf_version, keras_version, numpy_version, old",
    [("2.18.1", "3.15.1", "2.2.6", "tensorflow"), ("2.21.0", "2.15.0", "2.2.6", "keras"),
     ("2.21.0", "3.9.2", "1.26.4", "keras, numpy")],
)  # fmt: skip
def test_below_the_floor_the_check_names_the_floor_and_the_command(monkeypatch, tf_version, keras_version,
                                                                     numpy_version, old):  # fmt: skip
    from helpers.environment import keras, np, tf

    monkeypatch.setattr(tf, "__version__", tf_version)
    monkeypatch.setattr(keras, "__version__", keras_version)
    monkeypatch.setattr(np, "__version__", numpy_version)
    check = readiness._tensorflow()
    assert not check.ok and check.found == f"TF {tf_version}, Keras {keras_version}, NumPy {numpy_version}"
    floor = "tensorflow >= 2.19, keras >= 3.10, numpy >= 2.0"
    command = 'pip install --upgrade "tensorflow>=2.19" "keras>=3.10" "numpy>=2.0"'
    assert check.advice == f"{old} older than the course needs ({floor}). Run: {command}"


@pytest.mark.parametrize(
    "versions", [("2.19.0", "3.10.0", "2.0.0"), ("2.20.0rc1", "3.10.1", "2.0.2"), ("2.21.0", "3.15.1", "10.0")]
)
def test_the_floor_itself_and_anything_newer_passes(versions):
    assert readiness.below_floor(dict(zip(("tensorflow", "keras", "numpy"), versions))) == []


def test_versions_compare_by_their_leading_numbers():
    assert readiness.version_tuple("2.19.0rc1") == (2, 19, 0) and readiness.version_tuple("3.10.0.dev5") == (3, 10, 0)
    assert readiness.version_tuple("2.9.0") < readiness.version_tuple("2.19")


def test_the_floor_is_pyprojects_lower_bounds():
    import re

    text = (ROOT / "pyproject.toml").read_text()
    bounds = dict(re.findall(r'^    "(tensorflow|keras|numpy)>=([\d.]+)",$', text, re.MULTILINE))
    assert bounds == readiness.FLOOR, "pyproject.toml's lower bounds and helpers.readiness.FLOOR must agree"


def test_the_floor_admits_colabs_runtime():
    assert readiness.below_floor(readiness.COLAB_RUNTIME) == [], "Colab would have to reinstall TensorFlow"
