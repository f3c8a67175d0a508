"""Is this machine ready for the course? Checks with advice, for notebook 00."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from . import data
from .environment import device_name, keras, tf
from .profiles import profile


@dataclass(frozen=True)
class Check:
    """One readiness check: what was checked, whether it passed, what was found, and how to fix it."""

    name: str
    ok: bool
    found: str
    advice: str = ""


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = (3, 10) <= sys.version_info[:2] <= (3, 12)
    return Check("Python 3.10-3.12", ok, version, "" if ok else "Install Python 3.10, 3.11 or 3.12.")


def _tensorflow() -> Check:
    ok = tuple(int(p) for p in tf.__version__.split(".")[:2]) >= (2, 16) and keras.__version__.startswith("3.")
    advice = "" if ok else "Run: pip install -r requirements.txt (TensorFlow >= 2.16 with Keras 3)."
    return Check("TensorFlow >= 2.16, Keras 3", ok, f"TF {tf.__version__}, Keras {keras.__version__}", advice)


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
    photos = data.sample_photos()
    ok = len(photos) >= 5
    advice = "" if ok else f"Restore {data.IMAGES_DIR} from the repository (git checkout -- data/images)."
    return Check("sample photos", ok, f"{len(photos)} in {data.IMAGES_DIR}", advice)


def _profile() -> Check:
    try:
        return Check("COURSE_PROFILE", True, profile())
    except ValueError as err:
        return Check("COURSE_PROFILE", False, "invalid", str(err))


def _device() -> Check:
    return Check("device", True, device_name(), "" if device_name() == "GPU" else "CPU is enough for every lesson.")


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
