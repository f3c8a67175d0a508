import json
import subprocess
import sys

from tests.notebook_utils import ROOT


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
