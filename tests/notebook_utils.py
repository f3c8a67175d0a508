"""Shared by the notebook tests: where the notebooks are, and how to run one."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def execute(path: Path, profile: str = "smoke", timeout: int = 600) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in ``profile`` and return it with its outputs."""
    from nbclient import NotebookClient

    notebook = read(path)
    env_before = os.environ.get("COURSE_PROFILE")
    os.environ["COURSE_PROFILE"] = profile  # the kernel inherits this at start-up
    try:
        NotebookClient(
            notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    finally:
        if env_before is None:
            os.environ.pop("COURSE_PROFILE")
        else:
            os.environ["COURSE_PROFILE"] = env_before
    return notebook
