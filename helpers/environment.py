"""One setup call per notebook: quiet TensorFlow, seeds, plotting defaults, one status line.

Importing this module imports TensorFlow with its native start-up chatter (absl's
"log messages before InitializeLog", oneDNN and CUDA notices) sent to /dev/null. It is
the only place in the course that silences anything.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import random
import sys
from collections.abc import Iterator

import numpy as np

from .profiles import profile
from .python_support import python_advice

# Must be set before TensorFlow's C++ runtime starts; setdefault lets a curious student override it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block.

    TensorFlow's C++ layer writes some notices before its log level is read, straight to fd 2,
    where ``TF_CPP_MIN_LOG_LEVEL`` cannot reach them. Python exceptions still propagate.
    """
    sys.stderr.flush()
    saved_fd = os.dup(2)
    devnull_fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull_fd, 2)
    try:
        yield
    finally:
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull_fd)


try:
    with quiet_native_stderr():
        import tensorflow as tf

        # The first device query loads the CUDA stubs, which print their own notices.
        _GPUS = tf.config.list_physical_devices("GPU")
except ImportError as err:  # say what to do, instead of a bare "No module named 'tensorflow'"
    advice = python_advice() or "Install the course's requirements: pip install -r requirements.txt."
    raise ImportError(f"TensorFlow cannot be imported ({err}). {advice}") from err

import keras  # noqa: E402  (after TensorFlow, so Keras finds it already quiet)

tf.get_logger().setLevel(logging.ERROR)
logging.getLogger("absl").setLevel(logging.ERROR)

DEFAULT_SEED = 42

_PLOT_STYLE = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 100,
    "image.cmap": "gray",
    "image.interpolation": "nearest",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": "medium",
}
_PROJECTOR_STYLE = {"figure.dpi": 130, "font.size": 15, "axes.titlesize": "large", "lines.linewidth": 2.5}


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python's ``random``, NumPy's global generator and TensorFlow/Keras."""
    random.seed(seed)
    np.random.seed(seed)
    # This alone makes CPU training bit-for-bit repeatable (checked: same losses and weights in two
    # processes). tf.config.experimental.enable_op_determinism() is not used: it rewrites Keras'
    # input pipeline and TensorFlow 2.21 then logs a spurious error on every fit().
    keras.utils.set_random_seed(seed)


def device_name() -> str:
    """``"GPU"`` when TensorFlow sees one, else ``"CPU"``."""
    return "GPU" if _GPUS else "CPU"


def machine_description() -> str:
    """What this machine computes on, in words, for benchmark results and training records.

    ``"CPU only, 2 cores"`` without a GPU; ``"1 GPU (NVIDIA H200), 16 CPU cores"`` or
    ``"2 GPUs (2x NVIDIA A100-SXM4-40GB), 32 CPU cores"`` with them. Cores are those this process may
    run on (a container's cpuset, not all the host's); GPUs are those TensorFlow sees.
    """
    cores = _usable_cores()
    if not _GPUS:
        return f"CPU only, {cores} cores"
    names = collections.Counter(_gpu_name(gpu) for gpu in _GPUS)
    kinds = ", ".join(name if count == 1 else f"{count}x {name}" for name, count in names.items())
    return f"{len(_GPUS)} GPU{'s' if len(_GPUS) > 1 else ''} ({kinds}), {cores} CPU cores"


def _usable_cores() -> int:
    # os.cpu_count() counts the machine's cores; a process pinned to fewer (taskset, a container's
    # cpuset) runs on those only. Python 3.13's os.process_cpu_count() says the same.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _gpu_name(gpu) -> str:
    """The GPU's model name (``"NVIDIA H200"``) where TensorFlow can tell, else its device name."""
    try:
        details = tf.config.experimental.get_device_details(gpu)
    except ValueError:  # a device TensorFlow did not list itself: it knows nothing about it
        details = {}
    return details.get("device_name") or gpu.name.removeprefix("/physical_device:")


def status_line() -> str:
    """One line for the top of every notebook: versions, device and profile."""
    return f"TensorFlow {tf.__version__} (Keras {keras.__version__}) | {device_name()} | profile: {profile()}"


def setup(seed: int = DEFAULT_SEED, presentation: bool | None = None) -> None:
    """Prepare a notebook: seeds, TensorFlow's graph options, plotting defaults; print :func:`status_line`.

    Args:
        seed: seed for Python, NumPy and TensorFlow.
        presentation: bigger fonts and figures for a projector; ``None`` reads
            ``$COURSE_PRESENTATION`` (``1`` turns it on).
    """
    import matplotlib as mpl

    profile()  # fail here, early and clearly, on a mistyped COURSE_PROFILE
    if presentation is None:
        presentation = os.environ.get("COURSE_PRESENTATION", "") in {"1", "true", "yes"}
    seed_everything(seed)
    # TensorFlow's graph optimizer ("remapper") cannot fuse the gradient of Conv2D + bias + LeakyReLU
    # (every GAN discriminator here, and a student's own): it logs an E0000 error and leaves the graph
    # unfused. Switching it off gives the same graph without the log line (measured: no change in step
    # time). Done here, where a notebook asks for its settings, never as a side effect of an import.
    tf.config.optimizer.set_experimental_options({"remapping": False})
    mpl.rcParams.update(_PLOT_STYLE)
    if presentation:
        mpl.rcParams.update(_PROJECTOR_STYLE)
    print(status_line())
