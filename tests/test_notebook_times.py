from benchmarks.notebook_times import markdown


def result(seconds: dict) -> dict:
    return {"date": "2026-01-01", "machine": "2 cores", "vgg16_weights": "random", "seconds": seconds}


def test_table_lists_each_notebook_and_checks_both_targets():
    text = markdown(result({"b.ipynb": {"smoke": 100.0, "live": 59.0}, "a.ipynb": {"smoke": 70.0, "live": 20.0}}))
    assert text.index("`a.ipynb`") < text.index("`b.ipynb`")
    assert "| `b.ipynb` | 100.0 s | 59.0 s |" in text
    assert "All smoke runs together: 170 s (target ≤ 180 s: met)" in text
    assert "Slowest live run: 59.0 s (target ≤ 60 s each: met)" in text and "weights: random" in text


def test_missed_targets_are_marked_and_missing_profiles_shown_as_dashes():
    text = markdown(result({"a.ipynb": {"smoke": 200.0, "live": 61.0}, "b.ipynb": {"smoke": 1.0, "full": 9.0}}))
    assert "201 s" in text and text.count("**missed**") == 2
    assert "| `b.ipynb` | 1.0 s | - | 9.0 s |" in text
