import subprocess
import sys

import pytest

from helpers import keras_cache

ASK_KERAS = "import keras.src.backend.config as c, os; print(os.path.expanduser(c.keras_home()))"


@pytest.mark.parametrize("keras_home_variable", [None, "~/elsewhere/keras"])
def test_our_rule_finds_the_folder_keras_itself_uses(keras_home_variable, monkeypatch):
    """Uses Keras' private accessor on purpose: if Keras changes its rule or moves it, this fails loudly."""
    if keras_home_variable is None:
        monkeypatch.delenv("KERAS_HOME", raising=False)
    else:
        monkeypatch.setenv("KERAS_HOME", keras_home_variable)
    theirs = subprocess.run([sys.executable, "-c", ASK_KERAS], capture_output=True, text=True, check=True).stdout
    assert str(keras_cache.keras_home()) == theirs.strip()


def test_an_unwritable_home_falls_back_to_tmp(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "missing"))  # os.access is False for a folder that does not exist
    assert keras_cache.keras_cache_dir("models") == keras_cache.Path("/tmp/.keras/models")
