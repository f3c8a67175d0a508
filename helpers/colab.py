"""The Colab badge and setup cell that open every notebook, generated from one repository URL.

The URL lives in ``pyproject.toml`` (``[project.urls] Repository``). ``python tools/set_repo_url.py URL``
rewrites it there and in every notebook, so a fork's badges open the fork.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COURSE_REF = "main"
_URL_LINE = re.compile(r'^Repository\s*=\s*"(?P<url>[^"]+)"', re.MULTILINE)
_GITHUB = re.compile(r"^https://github\.com/(?P<slug>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")
BADGE_PATTERN = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def repo_url(pyproject: Path = REPO_ROOT / "pyproject.toml") -> str:
    """The course repository's URL, read from ``pyproject.toml``."""
    match = _URL_LINE.search(pyproject.read_text())
    if not match:
        raise ValueError(f"{pyproject}: no 'Repository = \"...\"' line under [project.urls]")
    return match["url"]


def github_slug(url: str) -> str:
    """``"owner/name"`` of a GitHub URL; Colab opens notebooks only from GitHub."""
    match = _GITHUB.match(url)
    if not match:
        raise ValueError(f"url: expected https://github.com/OWNER/NAME, got {url!r}")
    return match["slug"]


def badge(url: str, notebook: str) -> str:
    """Markdown for the "Open in Colab" badge of ``notebook`` (e.g. ``"notebooks/00_start_here.ipynb"``)."""
    target = f"https://colab.research.google.com/github/{github_slug(url)}/blob/{COURSE_REF}/{notebook}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({target})"


def setup_cell(url: str) -> str:
    """Source of the first code cell: on Colab, clone the course and install ``helpers``; elsewhere nothing."""
    folder = github_slug(url).split("/")[1]
    return f'''# On Google Colab: fetch the course and install its helpers (keeps Colab's TensorFlow).
# Anywhere else this cell does nothing.
import sys

REPO_URL, COURSE_REF = "{url}", "{COURSE_REF}"
if "google.colab" in sys.modules:
    import pathlib
    import subprocess

    course = pathlib.Path("/content/{folder}")
    if not course.exists():
        subprocess.run(["git", "clone", "--depth=1", "--branch", COURSE_REF, REPO_URL, str(course)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", str(course)], check=True)
    sys.path.insert(0, str(course))'''
