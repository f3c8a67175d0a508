import os
import random
import subprocess
import sys

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


def test_a_setup_refused_for_a_bad_profile_has_changed_nothing(monkeypatch):
    random.seed(1)
    np.random.seed(1)
    mpl.rcParams["figure.dpi"] = 55.0  # not the course's plot style, which setup() would apply
    before = random.getstate(), np.random.get_state(), dict(mpl.rcParams)
    options = environment.tf.config.optimizer.get_experimental_options()
    monkeypatch.setenv("COURSE_PROFILE", "turbo")
    with pytest.raises(ValueError, match="turbo"):
        helpers.setup()
    assert random.getstate() == before[0], "Python's random generator was reseeded"
    np.testing.assert_equal(np.random.get_state(), before[1], err_msg="NumPy's generator was reseeded")
    assert dict(mpl.rcParams) == before[2], "the plot settings changed"
    assert environment.tf.config.optimizer.get_experimental_options() == options, "TensorFlow's options changed"
    mpl.rcParams.update(mpl.rcParamsDefault)


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
        "print(helpers.profile(), colab.github_slug(colab.repo_url()), helpers.peak_memory_bytes())"
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


def fake_gpus(monkeypatch, names: list[str | None], cores: int = 16) -> None:
    """Make :mod:`helpers.environment` see GPUs named ``names`` (``None``: one TensorFlow cannot name)
    and ``cores`` usable CPU cores, on a machine that has neither."""
    gpus = [environment.tf.config.PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(len(names))]

    def details(device):
        name = names[gpus.index(device)]
        if name is None:
            raise ValueError("The PhysicalDevice must be one obtained from calling `tf.config.list_physical_devices`")
        return {"device_name": name, "compute_capability": (9, 0)}

    monkeypatch.setattr(environment, "_GPUS", gpus)
    monkeypatch.setattr(environment.tf.config.experimental, "get_device_details", details)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)


@pytest.mark.parametrize(
    "names, expected",
    [
        ([], "CPU only, 16 cores"),
        (["NVIDIA H200"], "1 GPU (NVIDIA H200), 16 CPU cores"),
        (["NVIDIA A100-SXM4-40GB"] * 2 + ["NVIDIA T4"], "3 GPUs (2x NVIDIA A100-SXM4-40GB, NVIDIA T4), 16 CPU cores"),
        ([None], "1 GPU (GPU:0), 16 CPU cores"),
    ],
)
def test_the_machine_is_described_from_what_tensorflow_detects(monkeypatch, names, expected):
    fake_gpus(monkeypatch, names)
    assert environment.machine_description() == expected
    assert environment.device_name() == ("GPU" if names else "CPU")


def test_this_machine_is_described_as_the_device_line_says():
    description = environment.machine_description()
    assert description.startswith("CPU only, ") == (environment.device_name() == "CPU"), description
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert description.endswith(f" {cores} cores") or description.endswith(f" {cores} CPU cores"), description


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
