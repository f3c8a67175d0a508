"""tools/check_pins.py reports a pin that cannot install on a supported Python, by either of its methods.

These resolve against the package index (CI has it). The floor and drift checks leave this file out:
it checks the pins, which only the pinned suite installs.
"""

import importlib.util
import subprocess
import sys

import pytest

from tests.notebook_utils import ROOT

_spec = importlib.util.spec_from_file_location("check_pins", ROOT / "tools" / "check_pins.py")
check_pins = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_pins)


def test_requires_python_is_checked_against_the_full_version():
    report = {"install": [{"metadata": {"name": "a", "version": "1", "requires_python": ">=3.11.5"}},
                          {"metadata": {"name": "b", "version": "2"}}]}  # fmt: skip
    assert check_pins.requires_python_violations(report, "3.11.7") == []
    assert check_pins.requires_python_violations(report, "3.11.2") == ["a==1 requires Python >=3.11.5"]


@pytest.mark.parametrize("method", ["interpreter", "uv"])
def test_a_pin_that_excludes_a_supported_python_is_reported(tmp_path, method):
    if method == "interpreter" and not check_pins.find_interpreter("3.10"):
        pytest.skip("no Python 3.10 on this machine (this machine image has it under pyenv)")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("keras==3.15.1\n")  # Keras 3.13 and newer need Python 3.11
    options = ["--uv-only"] if method == "uv" else []
    command = [sys.executable, str(ROOT / "tools" / "check_pins.py"), "--python", "3.10", "3.11",
               "--platform", "Windows amd64", "--requirements", str(requirements), *options]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    lines = [line for line in result.stdout.splitlines() if line.startswith("Python")]
    assert result.returncode == 1, result.stdout + result.stderr
    assert [line.rsplit(": ", 1)[1] for line in lines] == ["FAILS", "resolves", "FAILS", "resolves"], lines
