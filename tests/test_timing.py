import pytest

from helpers import timing


def test_candidates_take_turns_and_each_gets_its_best(monkeypatch):
    calls = []
    clock = iter([0.0, 3.0, 10.0, 11.0, 20.0, 21.5, 30.0, 30.5])  # durations: a=3, b=1, a=1.5, b=0.5
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(clock))
    sleeps = []
    monkeypatch.setattr(timing.time, "sleep", sleeps.append)
    result = timing.best_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=2, warmup=1)
    assert calls == ["a", "b", "a", "b", "a", "b"]
    assert result == {"a": 1.5, "b": 0.5}
    assert sleeps == [0.2] * 4  # a pause before every timed run


def test_bad_repeats_are_rejected():
    with pytest.raises(ValueError, match="repeats, warmup"):
        timing.best_times({"a": lambda: None}, repeats=0)
