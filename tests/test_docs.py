"""The documents agree with the repository: every lesson is mapped, every shipped model described."""

import json
import re

import pytest

from tests.notebook_utils import NOTEBOOKS, ROOT, read

README = (ROOT / "README.md").read_text()
DATA_README = (ROOT / "data" / "README.md").read_text()
PRETRAINED = sorted((ROOT / "data" / "pretrained").glob("*.keras"))
LESSONS = {path.name[:2]: path for path in NOTEBOOKS}


def section(text: str, heading: str) -> str:
    """The Markdown section under the first line that starts with ``heading``, up to the next heading of its level."""
    start = text.index(heading)
    level = heading.split(" ")[0]
    end = re.compile(rf"^{level} ", re.MULTILINE).search(text, start + len(heading))
    return text[start : end.start() if end else len(text)]


def table_first_cells(text: str) -> list[str]:
    return [line.split("|")[1].strip() for line in text.splitlines() if re.match(r"^\| *\S", line)][2:]


def test_notebook_00_maps_exactly_the_lessons_that_exist():
    course_map = next(cell.source for cell in read(LESSONS["00"]).cells if cell.source.startswith("## The course map"))
    numbers = [re.match(r"\[(\d\d) ·", cell)[1] for cell in table_first_cells(course_map)]
    assert numbers == sorted(LESSONS), f"notebook 00's course map lists {numbers}; notebooks/ has {sorted(LESSONS)}"
    for path in LESSONS.values():
        assert f"({path.name})" in course_map, f"notebook 00's map must link {path.name}"
    assert "preparation" not in course_map, "the map lists what exists, nothing in preparation"


def test_readme_course_map_links_every_lesson():
    links = re.findall(r"\]\(notebooks/(\d\d_\w+\.ipynb)\)", section(README, "## Course map").split("###")[0])
    assert links == [path.name for path in NOTEBOOKS], "README's course map: one row per notebook, in order"


def test_presenter_guide_has_a_row_per_lesson():
    rows = table_first_cells(section(README, "## Presenting in class"))
    assert rows == sorted(LESSONS), f"README's presenter guide lists {rows}; notebooks/ has {sorted(LESSONS)}"


@pytest.mark.parametrize("model", PRETRAINED, ids=lambda p: p.name)
def test_each_shipped_model_has_one_section_with_its_records_figures(model):
    headings = re.findall(rf"^### `{re.escape(model.name)}` \(([\d.]+) MB\)$", DATA_README, re.MULTILINE)
    assert len(headings) == 1, f"data/README.md needs exactly one '### `{model.name}` (N MB)' section"
    record = json.loads(model.with_suffix(".json").read_text())
    assert float(headings[0]) == round(record["bytes"] / 1e6, 1), "the heading's size is not the file's"
    text = section(DATA_README, f"### `{model.name}`")
    if "test_accuracy" in record:
        assert f"test accuracy {record['test_accuracy']}" in text
    if "fid" in record:
        assert f"FID {record['fid'][record['shipped']]}" in text
    stated = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) parameters", text)]
    assert stated, "state the number of parameters"
    import helpers.diffusion  # noqa: F401  (registers the U-Net's custom layer for loading)
    from helpers.models import load_recorded_model

    assert stated == [load_recorded_model(model, fix="").count_params()]
