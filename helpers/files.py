"""Saving files so that a crash or a full disk never leaves a half-written one behind."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


def _give_normal_mode(path: str) -> None:
    """mkstemp makes files private (0600); give the final file the mode any new file would get."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def atomic_copy(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Copy a (possibly large) file to ``target`` through a temporary file beside it, then rename.

    An interrupted copy leaves no partial ``target``.
    """
    target = Path(target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with open(source, "rb") as src, os.fdopen(fd, "wb") as tmp:
            shutil.copyfileobj(src, tmp, length=1 << 20)
            tmp.flush()
            os.fsync(tmp.fileno())
        _give_normal_mode(tmp_name)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def atomic_write(path: str | os.PathLike, content: bytes | str) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder, then rename it.

    The rename is atomic, so readers see either the old file or the complete new one. The
    temporary file is removed if writing fails.
    """
    path = Path(path)
    payload = content.encode() if isinstance(content, str) else content
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    _give_normal_mode(tmp_name)
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


class CorruptFileError(ValueError):
    """A file's size or checksum is not what its record says."""


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file (SHA-256 unless ``algorithm`` says e.g. ``"md5"``), read in 1 MB blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: str | os.PathLike, size: int, sha256: str, fix: str) -> Path:
    """Check a file's size, then its SHA-256, before anything reads it.

    Raises:
        FileNotFoundError: if it is missing, with ``fix`` (how to get it back).
        CorruptFileError: if the size or checksum differs, with ``fix``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found. {fix}")
    if path.stat().st_size != size:
        raise CorruptFileError(
            f"{path}: {path.stat().st_size} bytes, expected {size}; it is truncated or replaced. {fix}"
        )
    if file_digest(path) != sha256:
        raise CorruptFileError(f"{path}: checksum mismatch (expected sha256 {sha256[:12]}...); it is corrupt. {fix}")
    return path
