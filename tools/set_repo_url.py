"""Point the course at another repository (a fork): ``python tools/set_repo_url.py https://github.com/ME/COURSE``.

Rewrites ``[project.urls] Repository`` in pyproject.toml, and every notebook's Colab badge
(first markdown cell) and setup cell (first code cell). Run without an argument to re-sync
the notebooks with the URL already in pyproject.toml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from helpers import colab  # noqa: E402
from helpers.files import atomic_write  # noqa: E402


def rewrite_notebook(path: Path, url: str) -> None:
    notebook = json.loads(path.read_text())
    cells = notebook["cells"]
    title = next(c for c in cells if c["cell_type"] == "markdown")
    setup = next(c for c in cells if c["cell_type"] == "code")
    new_badge = colab.badge(url, path.relative_to(REPO_ROOT).as_posix())
    text = "".join(title["source"])
    if not colab.BADGE_PATTERN.search(text):
        raise SystemExit(f"{path}: its first markdown cell has no Open In Colab badge to rewrite")
    title["source"] = colab.BADGE_PATTERN.sub(lambda _: new_badge, text).splitlines(keepends=True)
    setup["source"] = colab.setup_cell(url).splitlines(keepends=True)
    atomic_write(path, json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> None:
    pyproject = REPO_ROOT / "pyproject.toml"
    old = colab.repo_url(pyproject)
    url = argv[0] if argv else old
    colab.github_slug(url)  # validate before touching any file
    # Notebooks first: if one fails, pyproject.toml still names the old URL and a rerun finishes the job.
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        rewrite_notebook(path, url)
        print(f"rewrote {path.relative_to(REPO_ROOT)}")
    atomic_write(pyproject, pyproject.read_text().replace(f'Repository = "{old}"', f'Repository = "{url}"'))


if __name__ == "__main__":
    main(sys.argv[1:])
