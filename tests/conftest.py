import pytest


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras home folder: where get_file caches downloads and where helpers put weights."""
    from keras.src.backend import config

    home = tmp_path / "keras"
    home.mkdir()
    monkeypatch.setattr(config, "keras_home", lambda: str(home))
    return home
