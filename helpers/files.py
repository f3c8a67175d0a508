"""Saving files so that a crash or a full disk never leaves a half-written one behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, content: bytes | str) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder, then rename it.

    The rename is atomic, so readers see either the old file or the complete new one. The
    temporary file is removed if writing fails.
    """
    path = Path(path)
    payload = content.encode() if isinstance(content, str) else content
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
