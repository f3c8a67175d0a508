"""Cut a release: ``python tools/release.py 0.2.0``, then ``git push origin main v0.2.0``.

Sets the package version (pyproject.toml and ``helpers.__version__``), points every notebook's Colab
badge and setup cell at the tag ``v0.2.0``, commits that, and creates the annotated tag. Colab users
who saved a copy of a notebook keep getting the helpers it was written for, because both the badge
and the clone name the tag, never ``main``. It refuses to run on a working tree with uncommitted
changes, or when the tag exists already. CONTRIBUTING.md says when to cut a release.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from helpers import colab  # noqa: E402
from helpers.files import atomic_write  # noqa: E402


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def set_version(root: Path, version: str) -> None:
    """Write ``version`` into pyproject.toml and helpers/__init__.py, the two places that state it."""
    for path, pattern in (
        (root / "pyproject.toml", r'^(version\s*=\s*")[^"]+(")'),
        (root / "helpers" / "__init__.py", r'^(__version__\s*=\s*")[^"]+(")'),
    ):
        text, count = re.subn(pattern, rf"\g<1>{version}\g<2>", path.read_text(), count=1, flags=re.MULTILINE)
        if count != 1:
            raise SystemExit(f"{path}: found no version line to rewrite")
        atomic_write(path, text)


def release(version: str, root: Path = REPO_ROOT) -> str:
    """Version, notebooks, commit and tag for ``version``; returns the tag."""
    tag = colab.release_tag(version)
    if git(root, "status", "--porcelain"):
        raise SystemExit("commit or stash your changes first: a release commit holds the release alone")
    if git(root, "tag", "--list", tag):
        raise SystemExit(f"the tag {tag} exists already: pick a new version")
    set_version(root, version)
    colab.sync_notebooks(colab.repo_url(root / "pyproject.toml"), tag, root)
    git(root, "commit", "--quiet", "--all", "--message", f"Release {tag}: badges and Colab setup cells open {tag}")
    git(root, "tag", "--annotate", tag, "--message", f"Release {tag}")
    return tag


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit(__doc__)
    tag = release(argv[0])
    print(f"released {tag}; publish it with: git push origin main {tag}")


if __name__ == "__main__":
    main(sys.argv[1:])
