"""Is this machine ready for the course? Checks with advice, for notebook 00."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass

from . import data, photos
from .profiles import profile
from .python_support import NEWEST_PYTHON, OLDEST_PYTHON, dotted, python_advice

# The oldest releases the course supports: pyproject.toml's lower bounds (tests/test_readiness.py checks
# that they agree), which tools/floor_check.sh installs exactly and tests. They must admit COLAB_RUNTIME,
# so that Colab keeps its own versions (the tests check that too).
FLOOR = {"tensorflow": "2.19", "keras": "3.10", "numpy": "2.0"}
# Colab's runtime at its last announced upgrade (googlecolab/colabtools#5489, July 2025).
COLAB_RUNTIME = {"tensorflow": "2.19.0", "keras": "3.10.0", "numpy": "2.0.2"}
FLOOR_UPGRADE = "pip install --upgrade " + " ".join(f'"{name}>={version}"' for name, version in FLOOR.items())


@dataclass(frozen=True)
class Check:
    """One readiness check: what was checked, whether it passed, what was found, and how to fix it."""

    name: str
    ok: bool
    found: str
    advice: str = ""


def _python() -> Check:
    name, advice = f"Python {dotted(OLDEST_PYTHON)}-{dotted(NEWEST_PYTHON)}", python_advice()
    return Check(name, not advice, dotted(sys.version_info[:3]), advice)


def version_tuple(version: str) -> tuple[int, ...]:
    """``"2.19.0rc1"`` -> ``(2, 19, 0)``: the leading numbers of a version, for comparing with :data:`FLOOR`."""
    numbers = []
    for part in version.split("."):
        digits = "".join(itertools.takewhile(str.isdigit, part))
        if not digits:
            break
        numbers.append(int(digits))
        if len(digits) < len(part):  # "0rc1": nothing after it counts
            break
    return tuple(numbers)


def below_floor(versions: dict[str, str]) -> list[str]:
    """The packages of ``versions`` (name -> installed version) that are older than :data:`FLOOR`."""
    return [name for name, floor in FLOOR.items() if version_tuple(versions[name]) < version_tuple(floor)]


def _tensorflow() -> Check:
    name = "TensorFlow, Keras, NumPy"
    floor = ", ".join(f"{package} >= {version}" for package, version in FLOOR.items())
    try:
        from .environment import keras, np, tf
    except ImportError as err:
        return Check(name, False, f"not importable ({err})", python_advice() or "Run: pip install -r requirements.txt.")
    versions = {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}
    old = below_floor(versions)
    found = f"TF {tf.__version__}, Keras {keras.__version__}, NumPy {np.__version__}"
    advice = f"{', '.join(old)} older than the course needs ({floor}). Run: {FLOOR_UPGRADE}" if old else ""
    return Check(name, not old, found, advice)


def _fashion_mnist() -> Check:
    folder = data.find_fashion_mnist()
    if folder is not None:
        return Check("Fashion-MNIST files", True, str(folder))
    return Check(
        "Fashion-MNIST files",
        False,
        "not on this machine",
        "With internet: load_fashion_mnist() downloads them (30 MB). Offline: "
        "'sudo apt-get install dataset-fashion-mnist', or copy the four .gz files into data/fashion-mnist/.",
    )


def _photos() -> Check:
    found = photos.example_photos()
    ok = len(found) >= 5
    advice = "" if ok else f"Restore {photos.IMAGES_DIR} from the repository (git checkout -- data/images)."
    return Check("example photos", ok, f"{len(found)} in {photos.IMAGES_DIR}", advice)


def _profile() -> Check:
    try:
        return Check("COURSE_PROFILE", True, profile())
    except ValueError as err:
        return Check("COURSE_PROFILE", False, "invalid", str(err))


def _device() -> Check:
    """Always passes: every lesson runs on a CPU. Said on the line itself, since advice shows only on failures."""
    from .environment import device_name, machine_description

    enough = "" if device_name() == "GPU" else ": enough for every lesson"
    return Check("device", True, machine_description() + enough)


CHECKS: tuple[Callable[[], Check], ...] = (_python, _tensorflow, _profile, _fashion_mnist, _photos, _device)


def run_checks() -> list[Check]:
    """Run every readiness check and return the results in order."""
    return [check() for check in CHECKS]


def report(checks: list[Check]) -> str:
    """The checks as an aligned text table, advice under each failed line."""
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        lines.append(f"{'OK ' if c.ok else 'FIX'}  {c.name:<{width}}  {c.found}")
        if c.advice and not c.ok:
            lines.append(f"{'':5}{'':<{width}}  -> {c.advice}")
    return "\n".join(lines)
