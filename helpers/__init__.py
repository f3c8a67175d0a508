"""Helpers for the image recognition and generation course.

Every notebook starts with ``import helpers`` and ``helpers.setup()``. Importing the package is cheap
and changes nothing: TensorFlow is imported, quietly, the first time a name that needs it is used
(``helpers.setup`` and the others from :mod:`helpers.environment`; ``helpers.peak_memory_bytes``, from
:mod:`helpers.timing`, needs none), so tools that only copy files or rewrite text work without
TensorFlow installed.
"""

from __future__ import annotations

from .profiles import PROFILES, by_profile, profile

_FROM_ENVIRONMENT = ("device_name", "seed_everything", "setup", "status_line")
_FROM_TIMING = ("peak_memory_bytes",)  # standard library only: no TensorFlow imported for it

__all__ = ["PROFILES", "by_profile", "profile", *_FROM_ENVIRONMENT, *_FROM_TIMING]
__version__ = "0.6.0"


def __getattr__(name: str):
    if name in _FROM_ENVIRONMENT:
        from . import environment

        return getattr(environment, name)
    if name in _FROM_TIMING:
        from . import timing

        return getattr(timing, name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
