import json
import subprocess
import sys

import pytest

from tests.notebook_utils import ROOT, load_tool


def test_strip_outputs_removes_outputs_and_reports_it(tmp_path):
    result = {"output_type": "execute_result", "data": {"text/plain": "2"}, "metadata": {}, "execution_count": 3}
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": 3, "metadata": {}, "source": "1 + 1", "outputs": [result]},
            {"cell_type": "markdown", "metadata": {}, "source": "# title"},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps(notebook))
    command = [sys.executable, str(ROOT / "tools" / "strip_outputs.py"), str(path)]
    first = subprocess.run(command, capture_output=True, text=True)
    assert first.returncode == 1 and "stripped outputs" in first.stdout
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None and cell["source"] == "1 + 1"
    assert subprocess.run(command, capture_output=True).returncode == 0, "a clean notebook is left alone"
    assert [p.name for p in tmp_path.iterdir()] == ["lesson.ipynb"]


@pytest.fixture
def clone(tmp_path):
    """A fresh clone of this repository's last commit, with a committer identity."""
    path = tmp_path / "course"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(path)], check=True)
    for key, value in (("user.name", "Test"), ("user.email", "test@example.com")):
        subprocess.run(["git", "config", key, value], cwd=path, check=True)
    return path


def test_release_moves_version_badges_and_clones_to_one_new_tag(clone):
    from helpers import colab

    git = lambda *args: subprocess.run(["git", *args], cwd=clone, capture_output=True, text=True).stdout  # noqa: E731
    tags_before = set(git("tag", "--list").split())  # the clone carries the repository's own release tags
    tag = load_tool("release").release("9.8.7", root=clone)
    assert tag == "v9.8.7" and colab.package_version(clone / "pyproject.toml") == "9.8.7"
    assert '__version__ = "9.8.7"' in (clone / "helpers" / "__init__.py").read_text()
    assert git("status", "--porcelain") == "" and set(git("tag", "--list").split()) == tags_before | {"v9.8.7"}
    assert git("rev-parse", "v9.8.7^{commit}") == git("rev-parse", "HEAD"), "the tag is the release commit"
    for notebook in sorted((clone / "notebooks").glob("*.ipynb")):
        text = notebook.read_text()
        assert f"/blob/v9.8.7/notebooks/{notebook.name}" in text and '\\"v9.8.7\\"' in text
        assert "/blob/main/" not in text


def test_release_refuses_uncommitted_changes_and_an_existing_tag(clone):
    release = load_tool("release")
    (clone / "README.md").write_text("changed")
    with pytest.raises(SystemExit, match="commit or stash"):
        release.release("9.8.7", root=clone)
    subprocess.run(["git", "checkout", "--", "README.md"], cwd=clone, check=True)
    subprocess.run(["git", "tag", "v9.8.7"], cwd=clone, check=True)
    with pytest.raises(SystemExit, match="the tag v9.8.7 exists already"):
        release.release("9.8.7", root=clone)
