"""Point the course at another repository (a fork): ``python tools/set_repo_url.py https://github.com/ME/COURSE``.

Rewrites ``[project.urls] Repository`` in pyproject.toml, and every notebook's Colab badge
(first markdown cell) and setup cell (first code cell), keeping the release tag they name. Run
without an argument to re-sync the notebooks with pyproject.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from helpers import colab  # noqa: E402
from helpers.files import atomic_write  # noqa: E402


def main(argv: list[str]) -> None:
    pyproject = REPO_ROOT / "pyproject.toml"
    old = colab.repo_url(pyproject)
    url = argv[0] if argv else old
    ref = colab.release_tag(colab.package_version(pyproject))
    # Notebooks first: if one fails, pyproject.toml still names the old URL and a rerun finishes the job.
    for path in colab.sync_notebooks(url, ref, REPO_ROOT):
        print(f"rewrote {path.relative_to(REPO_ROOT)}")
    atomic_write(pyproject, pyproject.read_text().replace(f'Repository = "{old}"', f'Repository = "{url}"'))


if __name__ == "__main__":
    main(sys.argv[1:])
