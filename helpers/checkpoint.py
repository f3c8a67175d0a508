"""The checkpoint file of a resumable training run: one ``.npz`` file, written atomically, read checked.

A checkpoint holds the step counter, the random generator's state, the settings that define the run
(as JSON) and groups of arrays: every variable of every network, optimizer and moving average, in
order, under keys ``"{group}/{index}"``. :func:`read_checkpoint` refuses, in words, a file that is
missing, unreadable, from another version, saved with other settings or shaped for other networks.
NumPy only: :mod:`helpers.loop` turns its variables into arrays and back.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .files import CorruptFileError, atomic_write

_FIX = "Delete it to start training from scratch."
_KEYS = ("step", "rng_state", "settings")  # besides the groups' arrays


@dataclass(frozen=True)
class Checkpoint:
    """One training state: what :func:`write_checkpoint` stores and :func:`read_checkpoint` returns.

    Attributes:
        step: the number of training steps taken.
        rng_state: the state of the run's ``tf.random.Generator`` (its ``state`` variable as an array).
        settings: the run's settings, JSON-serialisable (tuples come back as lists).
        groups: arrays by group name, e.g. ``{"generator": [kernel, bias, ...], "generator_optimizer": [...]}``.
    """

    step: int
    rng_state: np.ndarray
    settings: Mapping[str, Any]
    groups: Mapping[str, Sequence[np.ndarray]]


def write_checkpoint(path: str | Path, checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint`` to ``path`` as one ``.npz`` file, atomically: a crash leaves the old file or the new."""
    arrays = {
        "step": np.array(checkpoint.step),
        "rng_state": np.asarray(checkpoint.rng_state),
        "settings": np.array(json.dumps(checkpoint.settings, sort_keys=True)),
    }
    for group, values in checkpoint.groups.items():
        arrays.update({f"{group}/{i}": np.asarray(value) for i, value in enumerate(values)})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return atomic_write(path, buffer.getvalue())


def read_checkpoint(
    path: str | Path, settings: Mapping[str, Any], shapes: Mapping[str, Sequence[tuple[int, ...]]]
) -> Checkpoint:
    """The checkpoint at ``path``, after checking it was saved with ``settings`` for arrays of ``shapes``.

    Args:
        settings: the settings of the run that resumes; they must equal the saved ones.
        shapes: the shape of every array each group must hold, e.g. ``{"generator": [(64, 128), (128,)]}``.

    Raises:
        FileNotFoundError: no file at ``path``.
        CorruptFileError: the file is not a readable checkpoint of this version.
        ValueError: it was saved with other settings (all differences named) or for other shapes.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no checkpoint there (train with checkpoint={str(path)!r} to write one)")
    arrays, saved = _load(path)
    _require_same_settings(path, saved, settings)
    return Checkpoint(int(arrays["step"]), arrays["rng_state"], saved, _groups(path, arrays, shapes))


def settings_changes(saved: Mapping[str, Any], now: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{key: (saved value, current value)}`` for every setting that differs, keys sorted; a missing key is None.

    ``now`` goes through JSON first, as the saved settings did, so a tuple equals the list it was saved as.
    """
    now = json.loads(json.dumps(now))
    return {key: (saved.get(key), now.get(key)) for key in sorted({*saved, *now}) if saved.get(key) != now.get(key)}


def _load(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Every array in the file, read now (the file is closed after), and the saved settings.

    Refuses a file that is no checkpoint: unreadable, or without the keys this version writes.
    """
    try:
        with np.load(path) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise CorruptFileError(f"{path}: not a readable checkpoint ({error}). {_FIX}") from error
    if not set(_KEYS) <= set(arrays):
        raise CorruptFileError(f"{path}: not a checkpoint written by this version's save(). {_FIX}")
    try:
        saved = json.loads(str(arrays["settings"]))
    except ValueError:
        saved = None
    if not isinstance(saved, dict):
        raise CorruptFileError(f"{path}: its settings are not a JSON object. {_FIX}")
    return arrays, saved


def _require_same_settings(path: str | Path, saved: Mapping[str, Any], now: Mapping[str, Any]) -> None:
    changed = settings_changes(saved, now)
    if changed:
        differences = "; ".join(f"{key}: saved {old!r}, now {new!r}" for key, (old, new) in changed.items())
        raise ValueError(
            f"{path}: saved by a run with other settings ({differences}). Resume with the same settings, "
            f"or delete it to start afresh."
        )


def _groups(
    path: str | Path, arrays: Mapping[str, np.ndarray], shapes: Mapping[str, Sequence[tuple[int, ...]]]
) -> dict[str, list[np.ndarray]]:
    """The arrays of each group in ``shapes``, in order, once all are there with the expected shapes."""
    groups = {}
    for group, expected in shapes.items():
        stored = [arrays.get(f"{group}/{i}") for i in range(len(expected))]
        if any(a is None or a.shape != tuple(shape) for a, shape in zip(stored, expected, strict=True)):
            raise ValueError(f"{path}: its {group} does not match these networks; was it saved by another model?")
        groups[group] = stored
    return groups
