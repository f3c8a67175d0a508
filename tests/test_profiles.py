import pytest

from helpers import profiles


@pytest.mark.parametrize("value", ["smoke", "live", "full", " Live "])
def test_profile_reads_the_environment(monkeypatch, value):
    monkeypatch.setenv("COURSE_PROFILE", value)
    assert profiles.profile() == value.strip().lower()


def test_profile_defaults_to_full(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert profiles.profile() == "full"


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match=r"'fast'.*smoke, live, full"):
        profiles.profile()


TABLE = {"smoke": {"epochs": 1}, "live": {"epochs": 3}, "full": {"epochs": 10}}


def test_by_profile_picks_the_active_row(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "live")
    assert profiles.by_profile(TABLE).epochs == 3


def test_by_profile_requires_every_profile():
    with pytest.raises(ValueError, match="missing.*full"):
        profiles.by_profile({"smoke": {"epochs": 1}, "live": {"epochs": 2}})


def test_by_profile_requires_the_same_keys():
    with pytest.raises(ValueError, match="same keys"):
        profiles.by_profile({**TABLE, "full": {"epochs": 10, "batch": 64}})
