"""The Python versions the course supports, and what to do on any other.

Both :mod:`helpers.environment` (when TensorFlow fails to import) and :mod:`helpers.readiness` (its
Python check) give this advice; it needs neither of them, nor anything but the standard library, so
it can be given on a machine where nothing else of the course works.
"""

from __future__ import annotations

import sys

# The Python versions TensorFlow and every pinned package publish wheels for; pyproject.toml's
# requires-python says the same (tests/test_python_support.py checks it).
OLDEST_PYTHON, NEWEST_PYTHON = (3, 10), (3, 13)


def dotted(version: tuple[int, ...]) -> str:
    """``(3, 10)`` -> ``"3.10"``."""
    return ".".join(map(str, version))


def python_advice(version: tuple[int, ...] | None = None) -> str:
    """What to do on Python ``version`` (default: this one), or ``""`` when the course supports it."""
    version = tuple(sys.version_info[:2]) if version is None else tuple(version[:2])
    if version > NEWEST_PYTHON:
        return (
            f"TensorFlow has no wheels for Python {dotted(version)} yet. Make a Python 3.12 environment: "
            "uv venv --python 3.12 && source .venv/bin/activate && uv pip install -r requirements.txt "
            "(or conda: conda env create -f environment.yml)."
        )
    if version < OLDEST_PYTHON:
        supported = f"{dotted(OLDEST_PYTHON)} to {dotted(NEWEST_PYTHON)}"
        return f"Install Python {supported}, then: pip install -r requirements.txt."
    return ""
