"""Code health: ruff's lint over everything, and its formatter over the Python files."""

import shutil
import subprocess
import sys

from tests.notebook_utils import ROOT

PYTHON_PATHS = ["helpers", "tests", "benchmarks", "tools", "conftest.py"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    command = [shutil.which("ruff")] if shutil.which("ruff") else [sys.executable, "-m", "ruff"]
    return subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_check_is_clean():
    result = ruff("check", "--output-format", "concise", *PYTHON_PATHS, "notebooks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = ruff("format", "--check", *PYTHON_PATHS)
    assert result.returncode == 0, f"run: ruff format {' '.join(PYTHON_PATHS)}\n{result.stdout}"
