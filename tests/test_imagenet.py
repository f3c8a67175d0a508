import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import files, imagenet


def test_imagenet_labels_align_with_keras_indices():
    labels = imagenet.imagenet_labels()
    assert len(labels) == 1000
    assert labels[281] == ("n02123045", "tabby")
    assert labels[386] == ("n02504458", "African_elephant")
    assert labels[967] == ("n07920052", "espresso")


def test_shipped_class_index_is_byte_identical_to_keras_file():
    assert files.file_digest(imagenet.IMAGENET_INDEX, "md5") == imagenet.IMAGENET_INDEX_MD5


def test_decode_top_k_rejects_bad_input():
    with pytest.raises(ValueError, match=r"probabilities: expected shape \(N, 1000\), got \(2, 10\)"):
        imagenet.decode_top_k(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="k: expected 1 <= k <= 1000, got 0"):
        imagenet.decode_top_k(np.zeros((1, 1000)), k=0)


OFFLINE_DECODE = """
import numpy as np
from helpers import imagenet
from helpers.environment import keras

imagenet.install_keras_imagenet_index()
probabilities = np.random.default_rng(0).dirichlet(np.ones(1000), size=3)
theirs = keras.applications.imagenet_utils.decode_predictions(probabilities, top=5)
ours = imagenet.decode_top_k(probabilities, k=5)
assert [[(w, n, float(p)) for w, n, p in row] for row in theirs] == ours, "decoded differently"
print("decoded offline")
"""


def test_keras_decode_predictions_works_offline_once_installed(tmp_path):
    # A fresh process with an empty Keras home and every download refused: Keras must find our copy.
    refuse = "http://127.0.0.1:9"
    env = {**os.environ, "KERAS_HOME": str(tmp_path), "HTTP_PROXY": refuse, "HTTPS_PROXY": refuse, "NO_PROXY": ""}
    done = subprocess.run([sys.executable, "-c", OFFLINE_DECODE], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    assert done.returncode == 0 and "decoded offline" in done.stdout, done.stderr[-2000:]
    assert (tmp_path / "models" / "imagenet_class_index.json").is_file()
