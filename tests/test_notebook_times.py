import platform
from pathlib import Path

from benchmarks import notebook_times
from tests.test_environment import fake_gpus


def time_with_fake_notebooks(monkeypatch, prefixes: list[str], stored: dict) -> tuple[dict, list[str]]:
    """Run ``time_notebooks`` over two made-up notebooks without executing anything."""
    ran = []
    monkeypatch.setattr(notebook_times, "NOTEBOOKS", [Path("03_cnn.ipynb"), Path("04_vgg16.ipynb")])
    monkeypatch.setattr(notebook_times, "execute", lambda path, profile, timeout: ran.append(f"{path} {profile}"))
    monkeypatch.setenv("COURSE_VGG16_WEIGHTS", "random")
    return notebook_times.time_notebooks(["smoke"], prefixes, stored), ran


def test_timing_one_lesson_keeps_the_others_rows_and_lesson_04s_weights_label(monkeypatch):
    stored = {"vgg16_weights": "imagenet", "seconds": {"04_vgg16.ipynb": {"smoke": 20.0, "live": 40.0}}}
    result, ran = time_with_fake_notebooks(monkeypatch, ["03"], stored)
    assert ran == ["03_cnn.ipynb smoke"]
    assert result["vgg16_weights"] == "imagenet", "lesson 04 did not run, so its label must not change"
    assert result["seconds"]["04_vgg16.ipynb"] == {"smoke": 20.0, "live": 40.0}
    assert set(result["seconds"]["03_cnn.ipynb"]) == {"smoke"}


def test_timing_lesson_04_labels_the_weights_it_ran_with(monkeypatch):
    result, ran = time_with_fake_notebooks(monkeypatch, ["04"], {"vgg16_weights": "imagenet", "seconds": {}})
    assert ran == ["04_vgg16.ipynb smoke"] and result["vgg16_weights"] == "random"


def test_the_machine_is_the_one_the_notebooks_ran_on(monkeypatch):
    fake_gpus(monkeypatch, ["NVIDIA H200"], cores=16)
    result, _ = time_with_fake_notebooks(monkeypatch, ["03"], {})
    expected = f"1 GPU (NVIDIA H200), 16 CPU cores, {platform.machine()}, Python {platform.python_version()}"
    assert result["machine"] == expected
