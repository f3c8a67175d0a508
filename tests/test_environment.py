import os
import random
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest

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


def test_importing_helpers_needs_no_tensorflow():
    script = (
        "import sys; sys.modules['tensorflow'] = None\n"  # as if it were not installed: importing it fails
        "import helpers\n"
        "from helpers import colab, files, profiles\n"
        "print(helpers.profile(), colab.github_slug(colab.repo_url()))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    setup = subprocess.run([sys.executable, "-c", script + "; helpers.setup()"], capture_output=True, text=True)
    assert "ImportError: TensorFlow cannot be imported" in setup.stderr, "setup() must say what to install"


def test_importing_helpers_prints_nothing():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", "from helpers.environment import keras, tf; keras.layers.Dense(2)(tf.zeros((1, 3)))"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert result.stdout == "" and result.stderr == "", result.stderr


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the current memory from Linux's /proc")
def test_peak_memory_reaches_the_current_memory_plus_a_touched_array():
    # A fresh process, so that no earlier test has set a higher peak already.
    script = (
        "import numpy as np, helpers\n"
        "now = int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) * 1024\n"
        "block = np.ones(500_000_000 // 8)\n"
        "print(now, helpers.peak_memory_bytes())"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    now, peak = map(int, run.stdout.split())
    assert peak >= now + 450_000_000, f"500 MB touched on top of {now} bytes, but the peak is only {peak}"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the current memory from Linux's /proc")
def test_peak_memory_of_a_child_does_not_include_its_parents():
    block = np.ones(1_500_000_000 // 8)  # this process now holds at least 1.5 GB
    script = "import helpers; print(helpers.peak_memory_bytes())"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert int(run.stdout) < block.nbytes, f"the child reports {int(run.stdout)} bytes: its parent's memory"


def test_peak_memory_is_none_where_neither_proc_nor_resource_exist(monkeypatch, tmp_path):
    monkeypatch.setattr(environment, "_PROC_STATUS", tmp_path / "no-proc")
    monkeypatch.setitem(sys.modules, "resource", None)  # as on Windows: the import fails
    assert helpers.peak_memory_bytes() is None


def test_peak_memory_falls_back_to_getrusage_without_proc(monkeypatch, tmp_path):
    monkeypatch.setattr(environment, "_PROC_STATUS", tmp_path / "no-proc")
    assert helpers.peak_memory_bytes() > 10_000_000


def test_importing_helpers_changes_no_tensorflow_setting():
    script = (
        "import helpers.environment as env\n"
        "before = env.tf.config.optimizer.get_experimental_options()\n"
        "from helpers import checks, gan, gan_training, metrics, models, train\n"
        "assert env.tf.config.optimizer.get_experimental_options() == before, 'an import changed the graph options'\n"
        "env.setup()\n"
        "assert env.tf.config.optimizer.get_experimental_options()['remapping'] is False"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
