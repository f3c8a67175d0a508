"""Helpers for the image recognition and generation course.

Every notebook starts with ``import helpers`` and ``helpers.setup()``. Importing the package
imports TensorFlow quietly (see :mod:`helpers.environment`).
"""

from .environment import device_name, peak_memory_bytes, seed_everything, setup, status_line
from .profiles import PROFILES, by_profile, profile

__all__ = [
    "PROFILES",
    "by_profile",
    "device_name",
    "peak_memory_bytes",
    "profile",
    "seed_everything",
    "setup",
    "status_line",
]
__version__ = "0.1.0"
