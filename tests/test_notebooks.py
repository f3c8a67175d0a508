"""Hygiene of every committed notebook: badge, setup, no outputs, kernel, size, short cells."""

import pytest

from helpers import colab
from tests.notebook_utils import NOTEBOOKS, ROOT, read

MAX_BYTES = 150_000
MAX_CODE_LINES = 20  # "about 15", with room for a table literal
REPO_URL = colab.repo_url()
REF = colab.release_tag(colab.package_version())


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:1] == ["00_start_here.ipynb"]


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook_path(request):
    return request.param


def test_first_cell_is_a_title_with_the_colab_badge(notebook_path):
    first = read(notebook_path).cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert colab.badge(REPO_URL, REF, notebook_path.relative_to(ROOT).as_posix()) in first.source, (
        "badge missing or stale: run python tools/set_repo_url.py"
    )


def test_first_code_cell_is_the_colab_setup(notebook_path):
    code = [c for c in read(notebook_path).cells if c.cell_type == "code"]
    assert code[0].source == colab.setup_cell(REPO_URL, REF), "stale setup cell: run python tools/set_repo_url.py"
    assert "helpers.setup(" in code[1].source, "the second code cell must call helpers.setup()"


def test_no_stored_outputs(notebook_path):
    for cell in read(notebook_path).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"outputs stored in: {cell.source[:60]!r}"


def test_python3_kernel_and_size(notebook_path):
    notebook = read(notebook_path)
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook_path.stat().st_size <= MAX_BYTES


def test_code_cells_are_short(notebook_path):
    code = [c for c in read(notebook_path).cells if c.cell_type == "code"][1:]  # the setup cell is generated
    long_cells = [c.source.splitlines()[0] for c in code if len(c.source.splitlines()) > MAX_CODE_LINES]
    assert not long_cells, f"cells over {MAX_CODE_LINES} lines, starting: {long_cells}"


SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


def test_slides_title_then_one_slide_per_section(notebook_path):
    cells = read(notebook_path).cells
    kinds = [cell.metadata.get("slideshow", {}).get("slide_type") for cell in cells]
    assert set(kinds) <= SLIDE_TYPES, f"every cell needs slideshow.slide_type; got {set(kinds) - SLIDE_TYPES}"
    assert kinds[0] == "slide", "the title cell opens the slideshow"
    sections = [
        kind for cell, kind in zip(cells, kinds) if cell.cell_type == "markdown" and cell.source.startswith("## ")
    ]
    assert sections and all(kind == "slide" for kind in sections), "each '## ' section starts a slide"
    setup = next(kind for cell, kind in zip(cells, kinds) if cell.cell_type == "code")
    assert setup == "skip", "the Colab install cell is not shown when presenting"


def test_title_slide_holds_the_title_alone(notebook_path):
    cells = read(notebook_path).cells
    for cell in cells[1:]:
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        if kind in {"slide", "subslide"}:
            break
        assert kind == "skip", f"shown on the title slide: {cell.source[:60]!r}; hide it (skip) or start a subslide"
