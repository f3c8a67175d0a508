from pathlib import Path

from benchmarks import cnn_accuracy
from tests.test_environment import fake_gpus


def test_each_profile_is_measured_and_the_machine_is_the_one_detected(monkeypatch):
    fake_gpus(monkeypatch, [], cores=2)
    monkeypatch.setattr(cnn_accuracy, "measure", lambda notebook, profile: {"ran": f"{notebook.name} {profile}"})
    results = cnn_accuracy.measure_profiles(Path("03_cnn_classifier.ipynb"), ["smoke", "live"])
    assert results["notebook"] == "03_cnn_classifier.ipynb" and results["machine"] == "CPU only, 2 cores"
    assert results["live"] == {"ran": "03_cnn_classifier.ipynb live"}
    assert list(results) == ["notebook", "date", "machine", "smoke", "live"]
