"""The checkpoint file: what it keeps, and the files it refuses (missing, corrupt, old, other settings or shapes)."""

from pathlib import Path

import numpy as np
import pytest

from helpers.checkpoint import Checkpoint, read_checkpoint, settings_changes, write_checkpoint
from helpers.files import CorruptFileError

SETTINGS = {"batch_size": 64, "seed": 0, "learning_rate_decay": (2, 6), "ema": None}
GROUPS = {"generator": [np.arange(6.0).reshape(2, 3), np.ones(3)], "generator_optimizer": [np.array(5)]}
SHAPES = {"generator": [(2, 3), (3,)], "generator_optimizer": [()]}


def written(tmp_path: Path, **changes) -> Path:
    """A checkpoint of ``GROUPS`` in ``tmp_path``, with ``changes`` to its fields."""
    fields = {"step": 7, "rng_state": np.array([1, 2, 3]), "settings": SETTINGS, "groups": GROUPS} | changes
    return write_checkpoint(tmp_path / "state.npz", Checkpoint(**fields))


def rewrite(path, **arrays) -> None:
    """Replace (or with None drop) arrays of a written checkpoint, as another version might have stored them."""
    with np.load(path) as stored:
        content = {name: stored[name] for name in stored.files}
    content.update(arrays)
    np.savez(path, **{name: value for name, value in content.items() if value is not None})


def test_a_checkpoint_comes_back_as_written(tmp_path):
    state = read_checkpoint(written(tmp_path), SETTINGS, SHAPES)
    assert state.step == 7 and state.settings["learning_rate_decay"] == [2, 6]
    np.testing.assert_array_equal(state.rng_state, [1, 2, 3])
    assert list(state.groups) == list(GROUPS)
    for group, values in GROUPS.items():
        for read, value in zip(state.groups[group], values, strict=True):
            np.testing.assert_array_equal(read, value)


def test_a_failed_write_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    path = written(tmp_path)
    before = path.read_bytes()

    def full_disk(fd):
        raise OSError("No space left on device")

    monkeypatch.setattr("helpers.files.os.fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        written(tmp_path, step=8)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.npz"], "no temporary file left behind"


def test_a_missing_checkpoint_is_not_called_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint there"):
        read_checkpoint(tmp_path / "nothing.npz", SETTINGS, SHAPES)


def test_a_truncated_checkpoint_is_named_with_the_fix(tmp_path):
    path = written(tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CorruptFileError, match=rf"{path}: not a readable checkpoint .*Delete it to start training"):
        read_checkpoint(path, SETTINGS, SHAPES)


@pytest.mark.parametrize(
    "arrays",
    [
        {"rng_state": None, "noise_state": np.array([1, 2, 3])},  # the key's name before the rename
        {"settings": None},
        {"step": None},
    ],
)
def test_a_checkpoint_without_a_key_of_this_version_is_refused(tmp_path, arrays):
    path = written(tmp_path)
    rewrite(path, **arrays)
    with pytest.raises(CorruptFileError, match="not a checkpoint written by this version's save"):
        read_checkpoint(path, SETTINGS, SHAPES)


@pytest.mark.parametrize("settings", ["{not json", "[1, 2]"])
def test_unreadable_settings_are_called_corrupt(tmp_path, settings):
    path = written(tmp_path)
    rewrite(path, settings=np.array(settings))
    with pytest.raises(CorruptFileError, match="settings are not a JSON object.*Delete it"):
        read_checkpoint(path, SETTINGS, SHAPES)


def test_every_changed_setting_is_listed(tmp_path):
    path = written(tmp_path)
    now = SETTINGS | {"batch_size": 32, "seed": 1}
    with pytest.raises(
        ValueError, match=r"other settings \(batch_size: saved 64, now 32; seed: saved 0, now 1\)\. Resume with"
    ):
        read_checkpoint(path, now, SHAPES)


def test_settings_compare_as_json_and_a_missing_one_is_none():
    assert settings_changes({"decay": [2, 6]}, {"decay": (2, 6)}) == {}
    assert settings_changes({"a": 1}, {"a": 1, "b": 2}) == {"b": (None, 2)}


@pytest.mark.parametrize(
    "shapes",
    [
        {"generator": [(2, 4), (3,)], "generator_optimizer": [()]},  # another shape
        {"generator": [(2, 3), (3,), (3,)], "generator_optimizer": [()]},  # more arrays than stored
        {"discriminator": [(1,)]},  # a network the file lacks
    ],
)
def test_arrays_of_other_shapes_are_refused(tmp_path, shapes):
    with pytest.raises(ValueError, match="does not match these networks"):
        read_checkpoint(written(tmp_path), SETTINGS, shapes)
