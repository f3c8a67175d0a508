"""Course profiles: one notebook, three sizes.

``COURSE_PROFILE`` picks how much work a notebook does:

* ``smoke`` -- CI: every code path, a few seconds;
* ``live``  -- presenting: about a minute, real results;
* ``full``  -- the real thing (the default).

A lesson keeps its sizes in one small table and reads them with :func:`by_profile`,
so the notebook text is identical in every profile.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

PROFILES = ("smoke", "live", "full")
DEFAULT_PROFILE = "full"
ENV_VAR = "COURSE_PROFILE"


def profile() -> str:
    """Return the active profile name, read from ``$COURSE_PROFILE`` (default ``"full"``).

    Raises:
        ValueError: if the variable holds anything but one of :data:`PROFILES`.
    """
    value = os.environ.get(ENV_VAR, "").strip().lower() or DEFAULT_PROFILE
    if value not in PROFILES:
        raise ValueError(
            f"{ENV_VAR}={os.environ[ENV_VAR]!r} is not a course profile; expected one of {', '.join(PROFILES)}"
        )
    return value


def by_profile(table: Mapping[str, Mapping[str, Any]]) -> SimpleNamespace:
    """Pick the active profile's row of a per-profile size table.

    Args:
        table: ``{"smoke": {...}, "live": {...}, "full": {...}}``; every row must have the same keys.

    Returns:
        The active row as a namespace, so cells read ``sizes.epochs``.
    """
    missing = [name for name in PROFILES if name not in table]
    if missing:
        raise ValueError(f"table: every profile needs a row; missing {missing}, got {sorted(table)}")
    keys = {name: set(table[name]) for name in PROFILES}
    if len({frozenset(k) for k in keys.values()}) != 1:
        raise ValueError(f"table: every profile row needs the same keys; got {keys}")
    return SimpleNamespace(**table[profile()])
