import re
import subprocess
import sys
import types

import pytest

from helpers import colab
from tests.notebook_utils import NOTEBOOKS, ROOT, load_tool, read

BOTH_EDITIONS = NOTEBOOKS + sorted((ROOT / "notebooks" / "zh").glob("*.ipynb"))

URL = "https://github.com/someone/my-course"
REF = "v1.2.3"


def run_setup_cell(monkeypatch, on_colab: bool) -> list[list[str]]:
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, check: calls.append(cmd))
    monkeypatch.setattr(sys, "path", list(sys.path))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(colab.setup_cell(URL, REF), {})
    return calls


def test_setup_cell_does_nothing_off_colab(monkeypatch):
    assert run_setup_cell(monkeypatch, on_colab=False) == []


def test_setup_cell_clones_and_installs_on_colab(monkeypatch):
    clone, install = run_setup_cell(monkeypatch, on_colab=True)
    assert clone[:2] == ["git", "clone"] and clone[-2:] == [URL, "/content/my-course"]
    assert clone[clone.index("--branch") + 1] == REF
    # -e without extras or pins: Colab's TensorFlow satisfies the lower bounds, so it stays.
    assert install == [sys.executable, "-m", "pip", "install", "-q", "-e", "/content/my-course"]
    assert sys.path[0] == "/content/my-course"


def test_badge_points_at_the_notebook_at_the_release_tag():
    badge = colab.badge(URL, REF, "notebooks/01_convolution.ipynb")
    assert "colab.research.google.com/github/someone/my-course/blob/v1.2.3/notebooks/01_convolution.ipynb" in badge
    assert colab.BADGE_PATTERN.fullmatch(badge)


@pytest.mark.parametrize("bad", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/onlyowner"])
def test_non_github_urls_are_rejected(bad):
    with pytest.raises(ValueError, match="url: expected https://github.com/OWNER/NAME"):
        colab.github_slug(bad)


def test_repo_url_and_version_are_read_from_pyproject(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\nversion = "0.4.1"\n[project.urls]\nRepository = "https://github.com/a/b"\n'
    )
    assert colab.repo_url(pyproject) == "https://github.com/a/b" and colab.package_version(pyproject) == "0.4.1"


def test_the_package_states_the_same_version_as_pyproject():
    import helpers

    assert helpers.__version__ == colab.package_version(), "run python tools/release.py to change the version"


@pytest.mark.parametrize("bad", ["0.2", "v0.2.0", "0.2.0rc1", ""])
def test_release_tags_need_a_plain_version(bad):
    with pytest.raises(ValueError, match="version: expected MAJOR.MINOR.PATCH"):
        colab.release_tag(bad)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebooks_own_setup_cell_installs_the_course_only_on_colab(path, monkeypatch):
    source = next(cell.source for cell in read(path).cells if cell.cell_type == "code")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, check: calls.append(cmd))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(source, {})
    assert calls == [], "off Colab the cell does nothing"
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(source, {})
    clone, install = calls
    assert colab.repo_url() in clone and install[-2:] == ["-e", clone[-1]]


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_badge_and_clone_open_the_release_tag_of_the_package_version(path):
    tag = colab.release_tag(colab.package_version())
    cells = read(path).cells
    opened = path.relative_to(ROOT).as_posix()
    assert f"/{opened})" in cells[0].source, f"the badge must open {opened} itself"
    badge_ref = re.search(r"/blob/([^/]+)/notebooks/", cells[0].source)[1]
    clone_ref = re.search(
        r'REPO_URL, COURSE_REF = "[^"]+", "([^"]+)"', next(c for c in cells if c.cell_type == "code").source
    )[1]
    assert badge_ref == clone_ref == tag, (
        f"badge opens {badge_ref}, clone takes {clone_ref}; the version's tag is {tag}"
    )


def test_syncing_to_a_fork_keeps_the_chinese_edition_as_its_build_makes_it(tmp_path):
    import shutil

    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    colab.sync_notebooks(URL, REF, tmp_path)
    chinese = read(tmp_path / "notebooks" / "zh" / "02_pooling.ipynb").cells[0].source
    assert f"{URL.removeprefix('https://github.com/')}/blob/{REF}/notebooks/zh/02_pooling.ipynb)" in chinese
    translations = load_tool("translations")
    assert translations.build(tmp_path) == [], "a synced Chinese notebook is what the build writes"
    assert translations.check(tmp_path) == []
