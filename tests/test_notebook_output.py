"""Every lesson's outputs, from the session's one run of it (``lesson_runs``), hold no log noise or warnings."""

import re

import nbformat
import pytest

from tests.notebook_utils import executed_lessons

LESSONS = executed_lessons()

NOISE = re.compile(
    r"(Warning|WARNING|warnings\.warn|oneDNN|absl::|cuda|cuInit|I0000|E0000|W0000|`input_shape`|"
    r"Do not pass an|deprecat|TF-TRT|rebuild TensorFlow)",
    re.IGNORECASE,
)


def noise_in(notebook: nbformat.NotebookNode) -> list[str]:
    """Describe every output a student should not see: stderr, warnings, TensorFlow log lines."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                text = output.text
                if output.name == "stderr":
                    problems.append(f"cell {index} wrote to stderr: {text[:300]!r}")
            else:
                text = str(output.get("data", {}).get("text/plain", ""))
            if match := NOISE.search(text):
                problems.append(f"cell {index}: noise {match[0]!r} in {text[:300]!r}")
    return problems


def test_noise_detector_catches_stderr_and_warnings():
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="accuracy 0.91\n"),
        nbformat.v4.new_output("stream", name="stderr", text="I0000 00:00 port.cc:153] oneDNN custom operations\n"),
        nbformat.v4.new_output("stream", name="stdout", text="UserWarning: Do not pass an `input_shape`\n"),
    ]
    problems = noise_in(nbformat.v4.new_notebook(cells=[cell]))
    assert len(problems) == 3 and "stderr" in problems[0] and "input_shape" not in problems[0]


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.path.name for lesson in LESSONS])
def test_notebook_output_is_clean(lesson_runs, lesson):
    assert noise_in(lesson_runs.notebook(lesson)) == []
