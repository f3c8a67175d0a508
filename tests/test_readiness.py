from helpers import data, readiness


def test_all_checks_run_and_report_each_one():
    checks = readiness.run_checks()
    assert len(checks) == len(readiness.CHECKS)
    text = readiness.report(checks)
    assert all(check.name in text for check in checks)


def test_missing_data_gives_offline_advice(monkeypatch):
    monkeypatch.setattr(data, "find_fashion_mnist", lambda: None)
    check = readiness._fashion_mnist()
    assert not check.ok
    text = readiness.report([check])
    assert text.startswith("FIX") and "apt-get install dataset-fashion-mnist" in text


def test_bad_profile_is_a_failed_check_not_a_crash(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "warp")
    check = readiness._profile()
    assert not check.ok and "warp" in check.advice
