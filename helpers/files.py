"""Files that are never half-written and never read unchecked: the one home for

* atomic writes and copies (a temporary file, then a rename), so a crash or a full disk leaves no
  half-written file;
* checked files: size, then checksum, before anything reads them (:func:`verify_file`);
* checked downloads: fetched into a staging folder, checked, then renamed into place (:func:`checked_download`);
* recorded models: a weights file with a JSON record of its size and SHA-256 (:func:`write_record`,
  :func:`read_record`, :func:`record_path`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
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


def verify_file(path: str | os.PathLike, size: int, digest: str, fix: str, algorithm: str = "sha256") -> Path:
    """Check a file's size, then its checksum (SHA-256 unless ``algorithm`` says ``"md5"``), before reading it.

    Raises:
        FileNotFoundError: if it is missing, with ``fix`` (how to get it back).
        CorruptFileError: if the size or checksum differs, with ``fix``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found. {fix}")
    found = path.stat().st_size
    if found != size:
        kind = "truncated (an interrupted copy or download?)" if found < size else "not the right file"
        raise CorruptFileError(f"{path}: {found:,} bytes, expected {size:,}: {kind}. {fix}")
    if file_digest(path, algorithm) != digest:
        raise CorruptFileError(f"{path}: {algorithm} mismatch (expected {digest[:12]}...): the file is corrupt. {fix}")
    return path


def checked_download(fetch: Callable[[Path], Path], target: Path, check: Callable[[Path], object]) -> Path:
    """Download into a staging folder beside ``target``, ``check`` the file, then rename it to ``target``.

    ``fetch(staging_folder)`` downloads and returns the file's path; ``check(path)`` raises if the file
    is bad. Nothing reaches ``target`` unless the check passed, and the staging folder is always removed.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-download-") as staging:
        fetched = fetch(Path(staging))
        check(fetched)
        os.replace(fetched, target)
    return target


WEIGHTS_SUFFIX = ".weights.h5"  # the suffix Keras requires of a weights-only file


def record_path(path: str | os.PathLike) -> Path:
    """The JSON record beside a saved model: ``a/model.weights.h5`` -> ``a/model.json`` (``x.keras`` -> ``x.json``)."""
    path = Path(path)
    stem = path.name[: -len(WEIGHTS_SUFFIX)] if path.name.endswith(WEIGHTS_SUFFIX) else path.stem
    return path.with_name(stem + ".json")


def write_record(path: Path, blob: bytes, record: dict) -> dict:
    """Write ``blob`` (a saved model) to ``path`` and its JSON record (:func:`record_path`), both atomically.

    The record is ``record`` plus the file's name, size and SHA-256; returns it.
    """
    atomic_write(path, blob)
    full = {**record, "file": path.name, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
    atomic_write(record_path(path), json.dumps(full, indent=2) + "\n")
    return full


def read_record(path: str | os.PathLike, fix: str) -> dict:
    """The JSON record of ``path`` (:func:`record_path`), after checking the file against it (:func:`verify_file`).

    Raises:
        FileNotFoundError: the file or its record is missing.
        ValueError: the record lacks a key every record has.
        CorruptFileError: the file is not the one the record describes.
    """
    path = Path(path)
    json_path = record_path(path)
    if not json_path.is_file():
        raise FileNotFoundError(f"{json_path}: the record of {path.name} is missing. {fix}")
    record = json.loads(json_path.read_text())
    missing = [key for key in ("bytes", "sha256") if key not in record]
    if missing:
        raise ValueError(f"{json_path}: the record lacks {', '.join(missing)}, so {path.name} cannot be checked. {fix}")
    verify_file(path, record["bytes"], record["sha256"], fix)
    return record
