"""Do the pinned requirements install on every Python the course supports? ``python tools/check_pins.py``

For each minor version from ``helpers.readiness.OLDEST_PYTHON`` to ``NEWEST_PYTHON`` (the range that
pyproject.toml's ``requires-python`` names), pip resolves ``requirements-dev.txt`` for that Python
from binary wheels only, and installs nothing (``--dry-run``). A pin without a wheel for one of them
fails here, before a learner on that Python meets it. Needs the package index; CI runs it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from helpers.readiness import NEWEST_PYTHON, OLDEST_PYTHON  # noqa: E402


def supported_pythons() -> list[str]:
    """``["3.10", "3.11", ...]``: every minor version the course supports."""
    major = OLDEST_PYTHON[0]
    return [f"{major}.{minor}" for minor in range(OLDEST_PYTHON[1], NEWEST_PYTHON[1] + 1)]


def resolve_command(python: str, target: str, requirements: str = "requirements-dev.txt") -> list[str]:
    """pip's command that resolves ``requirements`` for ``python`` (e.g. ``"3.13"``) without installing."""
    return [
        sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
        "--only-binary=:all:", "--python-version", python, "--target", target, "-r", requirements,
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", nargs="+", default=supported_pythons(), help="versions to try (default: all)")
    args = parser.parse_args(argv)
    failed = []
    for python in args.python:
        with tempfile.TemporaryDirectory() as target:
            result = subprocess.run(resolve_command(python, target), cwd=REPO_ROOT, capture_output=True, text=True)
        print(f"Python {python}: {'resolves' if result.returncode == 0 else 'FAILS'}", flush=True)
        if result.returncode != 0:
            failed.append(python)
            print(result.stderr[-2000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
