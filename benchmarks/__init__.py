"""Benchmarks behind the figures in the README; each is ``python -m benchmarks.NAME --help``."""

from __future__ import annotations

import json

from helpers.files import atomic_write


def report(result: dict, out: str | None) -> None:
    """Print ``result`` as JSON and, when ``out`` names a file, also write it there atomically."""
    text = json.dumps(result, indent=2) + "\n"
    print(text, end="")
    if out:
        atomic_write(out, text)
