"""The documents agree with the repository: every lesson is mapped, every shipped model described."""

import json
import re

import pytest

from helpers.files import record_path
from tests.notebook_utils import NOTEBOOKS, ROOT, read

README = (ROOT / "README.md").read_text()
DATA_README = (ROOT / "data" / "README.md").read_text()
PRETRAINED = sorted((ROOT / "data" / "pretrained").glob("*.weights.h5"))
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
    record = json.loads(record_path(model).read_text())
    assert float(headings[0]) == round(record["bytes"] / 1e6, 1), "the heading's size is not the file's"
    text = section(DATA_README, f"### `{model.name}`")
    if "test_accuracy" in record:
        assert f"test accuracy {record['test_accuracy']}" in text
    if "fid" in record:
        assert f"FID {record['fid'][record['shipped']]}" in text
    stated = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) parameters", text)]
    assert stated, "state the number of parameters"
    from tests.test_shipped_models import shipped_outputs

    load, _ = shipped_outputs.loaders()[model.name.removesuffix(".weights.h5")]
    assert stated == [load().count_params()]


def version_rows() -> dict[str, list[str]]:
    rows = section(README, "### Versions the course is tested on").splitlines()
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in rows if line.startswith("| ")]
    return {row[0].split(" (")[0]: row[1:7] for row in cells[1:]}


def test_the_readmes_floor_is_pyprojects_lower_bounds():
    from helpers.python_support import OLDEST_PYTHON

    bounds = dict(re.findall(r'^ +"([\w-]+)>=([\d.]+)",$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE))
    expected = [".".join(map(str, OLDEST_PYTHON))] + [bounds[n] for n in ("tensorflow", "keras", "numpy",
                                                                          "matplotlib", "pillow")]  # fmt: skip
    assert version_rows()["floor"] == expected


def test_the_readmes_pins_are_requirements_txts():
    from helpers.python_support import NEWEST_PYTHON, OLDEST_PYTHON
    from tests.test_packaging import pins_in_requirements

    newest, oldest = pins_in_requirements("requirements.txt", "3.13"), pins_in_requirements("requirements.txt", "3.10")
    keras = newest["keras"] if newest["keras"] == oldest["keras"] else f"{newest['keras']}; {oldest['keras']} on 3.10"
    names = ("tensorflow", "numpy", "matplotlib", "pillow")
    assert all(newest[name] == oldest[name] for name in names), "update the README's pinned row"
    pythons = " to ".join(".".join(map(str, v)) for v in (OLDEST_PYTHON, NEWEST_PYTHON))
    expected = [pythons, newest["tensorflow"], keras, newest["numpy"], newest["matplotlib"], newest["pillow"]]
    assert version_rows()["pinned"] == expected


def test_the_chinese_readme_maps_every_chinese_lesson_and_states_the_weights_file_exactly():
    from helpers.weights import VGG16_IMAGENET

    chinese = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(notebooks/zh/(\d\d_\w+\.ipynb)\)", section(chinese, "## 课程地图"))
    assert links == [path.name for path in NOTEBOOKS], "README.zh-CN.md's course map: one row per lesson, in order"
    assert all((ROOT / "notebooks" / "zh" / name).is_file() for name in links)
    for fact in (VGG16_IMAGENET.name, f"{VGG16_IMAGENET.size:,}", VGG16_IMAGENET.md5, "dataset-fashion-mnist"):
        assert fact in chinese, f"README.zh-CN.md must state {fact} as the English README does"
    assert "(README.md)" in chinese and "(README.zh-CN.md)" in README, "each README links the other"
