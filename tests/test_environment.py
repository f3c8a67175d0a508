import os
import random
import subprocess
import sys

import matplotlib as mpl
import numpy as np

import helpers
from helpers import environment


def test_setup_prints_one_status_line(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "live")
    helpers.setup()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith(f"TensorFlow {environment.tf.__version__}")
    assert "| CPU |" in out[0] or "| GPU |" in out[0]
    assert out[0].endswith("profile: live")


def test_setup_seeds_python_numpy_and_tensorflow():
    def draw():
        helpers.setup(seed=7)
        return random.random(), np.random.rand(), float(environment.tf.random.uniform(()))

    assert draw() == draw()


def test_setup_rejects_a_bad_profile_before_anything_else(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "turbo")
    try:
        helpers.setup()
    except ValueError as err:
        assert "turbo" in str(err)
    else:
        raise AssertionError("setup() accepted COURSE_PROFILE=turbo")


def test_presentation_mode_enlarges_fonts(monkeypatch):
    helpers.setup(presentation=False)
    normal = mpl.rcParams["font.size"]
    monkeypatch.setenv("COURSE_PRESENTATION", "1")
    helpers.setup()
    assert mpl.rcParams["font.size"] > normal
    mpl.rcParams.update(mpl.rcParamsDefault)


def test_quiet_native_stderr_hides_fd2_only_inside_the_block(capfd):
    with environment.quiet_native_stderr():
        os.write(2, b"hidden\n")
    os.write(2, b"shown\n")
    assert capfd.readouterr().err == "shown\n"


def test_importing_helpers_prints_nothing():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", "import helpers, keras; keras.layers.Dense(2)(helpers.environment.tf.zeros((1, 3)))"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert result.stdout == "" and result.stderr == "", result.stderr
