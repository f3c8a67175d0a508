import os

import pytest


def need_fashion_mnist() -> None:
    """Skip a test that needs the real Fashion-MNIST when it is missing, except in CI, where it must be there."""
    from helpers import data

    if data.find_fashion_mnist() is None:
        if os.environ.get("CI"):
            pytest.fail("Fashion-MNIST is missing in CI: .ci/run installs Debian's dataset-fashion-mnist")
        pytest.skip("Fashion-MNIST is not on this machine")


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras home folder (``KERAS_HOME``): where helpers put downloads and installed weights."""
    home = tmp_path / "keras"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home
