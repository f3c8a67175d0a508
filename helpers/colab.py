"""The Colab badge and setup cell that open every notebook, generated from pyproject.toml.

Both name the repository (``[project.urls] Repository``) and one git ref, the release tag of the
package version (``version = "0.2.0"`` gives ``v0.2.0``). A learner who saves a copy in Drive and runs
it weeks later therefore gets the helpers that notebook was written for, not whatever ``main`` holds
then. ``python tools/release.py VERSION`` moves every notebook to a new tag; ``python
tools/set_repo_url.py URL`` points them at a fork.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = REPO_ROOT / "pyproject.toml"
_URL_LINE = re.compile(r'^Repository\s*=\s*"(?P<url>[^"]+)"', re.MULTILINE)
_VERSION_LINE = re.compile(r'^version\s*=\s*"(?P<version>\d+\.\d+\.\d+)"', re.MULTILINE)
_GITHUB = re.compile(r"^https://github\.com/(?P<slug>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")
BADGE_PATTERN = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def repo_url(pyproject: Path = PYPROJECT) -> str:
    """The course repository's URL, read from ``pyproject.toml``."""
    match = _URL_LINE.search(pyproject.read_text())
    if not match:
        raise ValueError(f"{pyproject}: no 'Repository = \"...\"' line under [project.urls]")
    return match["url"]


def package_version(pyproject: Path = PYPROJECT) -> str:
    """The package version, ``"MAJOR.MINOR.PATCH"``, read from ``pyproject.toml``."""
    match = _VERSION_LINE.search(pyproject.read_text())
    if not match:
        raise ValueError(f"{pyproject}: no 'version = \"MAJOR.MINOR.PATCH\"' line under [project]")
    return match["version"]


def release_tag(version: str) -> str:
    """The git tag of a release: ``"0.2.0"`` -> ``"v0.2.0"``."""
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ValueError(f"version: expected MAJOR.MINOR.PATCH such as 0.2.0, got {version!r}")
    return f"v{version}"


def github_slug(url: str) -> str:
    """``"owner/name"`` of a GitHub URL; Colab opens notebooks only from GitHub."""
    match = _GITHUB.match(url)
    if not match:
        raise ValueError(f"url: expected https://github.com/OWNER/NAME, got {url!r}")
    return match["slug"]


def colab_url(url: str, ref: str, notebook: str) -> str:
    """Where Colab opens ``notebook`` (e.g. ``"notebooks/00_start_here.ipynb"``) of repository ``url`` at ``ref``."""
    return f"https://colab.research.google.com/github/{github_slug(url)}/blob/{ref}/{notebook}"


def badge(url: str, ref: str, notebook: str) -> str:
    """Markdown for the "Open in Colab" badge of ``notebook`` at ``ref``."""
    image = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open In Colab]({image})]({colab_url(url, ref, notebook)})"


def setup_cell(url: str, ref: str) -> str:
    """Source of the first code cell: on Colab, clone the course at ``ref`` and install ``helpers``."""
    folder = github_slug(url).split("/")[1]
    return f'''# On Google Colab: fetch the course and install its helpers (keeps Colab's TensorFlow).
# Anywhere else this cell does nothing.
import sys

REPO_URL, COURSE_REF = "{url}", "{ref}"
if "google.colab" in sys.modules:
    import pathlib
    import subprocess

    course = pathlib.Path("/content/{folder}")
    if not course.exists():
        subprocess.run(["git", "clone", "--depth=1", "--branch", COURSE_REF, REPO_URL, str(course)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", str(course)], check=True)
    sys.path.insert(0, str(course))'''


def sync_notebook(path: Path, url: str, ref: str, root: Path = REPO_ROOT) -> None:
    """Rewrite one notebook's badge (first markdown cell) and setup cell (first code cell) for ``url`` and ``ref``;
    the badge opens ``path`` itself, relative to the repository ``root``."""
    import json

    from .files import atomic_write

    notebook = json.loads(path.read_text())
    cells = notebook["cells"]
    title = next(c for c in cells if c["cell_type"] == "markdown")
    setup = next(c for c in cells if c["cell_type"] == "code")
    text = "".join(title["source"])
    if not BADGE_PATTERN.search(text):
        raise ValueError(f"{path}: its first markdown cell has no Open In Colab badge to rewrite")
    new_badge = badge(url, ref, path.relative_to(root).as_posix())
    title["source"] = BADGE_PATTERN.sub(lambda _: new_badge, text).splitlines(keepends=True)
    setup["source"] = setup_cell(url, ref).splitlines(keepends=True)
    # Sorted keys, as nbformat and tools/translations.py write them: a synced Chinese notebook is then the
    # same bytes as one built anew.
    atomic_write(path, json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def sync_notebooks(url: str, ref: str, root: Path = REPO_ROOT) -> list[Path]:
    """:func:`sync_notebook` for every notebook in ``root/notebooks`` and the Chinese edition's in
    ``root/notebooks/zh``; returns their paths."""
    github_slug(url)  # validate before touching any file
    paths = sorted((root / "notebooks").glob("*.ipynb")) + sorted((root / "notebooks" / "zh").glob("*.ipynb"))
    for path in paths:
        sync_notebook(path, url, ref, root)
    return paths
