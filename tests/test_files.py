import json

import pytest

from helpers import files


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "result.json"
    target.write_text("old")
    files.atomic_write(target, '{"new": true}')
    assert target.read_text() == '{"new": true}'
    files.atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
    assert target.stat().st_mode & 0o044, "others can read it, like any file the user writes"


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    target.write_text("old")

    def full_disk(*_):
        raise OSError("No space left on device")

    monkeypatch.setattr(files.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        files.atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_a_copy_that_fails_midway_leaves_no_temporary_file_and_the_target_untouched(tmp_path, monkeypatch):
    source, target = tmp_path / "new.h5", tmp_path / "model.h5"
    source.write_bytes(b"new weights" * 1000)
    target.write_bytes(b"old weights")

    def disk_full_after_a_block(src, dst, length):
        dst.write(src.read(100))
        raise OSError("No space left on device")

    monkeypatch.setattr(files.shutil, "copyfileobj", disk_full_after_a_block)
    with pytest.raises(OSError, match="No space"):
        files.atomic_copy(source, target)
    assert target.read_bytes() == b"old weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5", "new.h5"], "the half-written copy is removed"
    monkeypatch.undo()
    assert files.atomic_copy(source, target).read_bytes() == source.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5", "new.h5"]


def test_verify_file_accepts_the_right_file_and_names_problems(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"weights")
    digest = files.file_digest(path)
    assert files.verify_file(path, 7, digest, fix="retrain") == path
    with pytest.raises(files.CorruptFileError, match=r"model.keras: 7 bytes, expected 8.*retrain"):
        files.verify_file(path, 8, digest, fix="retrain")
    path.write_bytes(b"weightz")
    with pytest.raises(files.CorruptFileError, match="sha256 mismatch.*corrupt. retrain"):
        files.verify_file(path, 7, digest, fix="retrain")
    with pytest.raises(FileNotFoundError, match="missing.keras: not found. retrain"):
        files.verify_file(tmp_path / "missing.keras", 7, digest, fix="retrain")


def test_checked_download_moves_only_a_file_that_passed_its_check(tmp_path):
    target = tmp_path / "cache" / "data.bin"

    def fetch(staging):
        (staging / "data.bin").write_bytes(b"payload")
        return staging / "data.bin"

    def refuse(path):
        raise files.CorruptFileError(f"{path.name}: a proxy's error page")

    with pytest.raises(files.CorruptFileError, match="proxy"):
        files.checked_download(fetch, target, refuse)
    assert list(target.parent.iterdir()) == [], "neither the file nor the staging folder is left"
    assert files.checked_download(fetch, target, lambda path: None).read_bytes() == b"payload"
    assert [p.name for p in target.parent.iterdir()] == ["data.bin"]


def test_a_record_describes_its_file_and_refuses_another(tmp_path):
    path = tmp_path / "model.keras"
    record = files.write_record(path, b"weights", {"epochs": 3})
    assert record == {"epochs": 3, "file": "model.keras", "bytes": 7, "sha256": files.file_digest(path)}
    assert files.read_record(path, fix="retrain") == record
    path.write_bytes(b"weightz")
    with pytest.raises(files.CorruptFileError, match="sha256 mismatch"):
        files.read_record(path, fix="retrain")
    path.with_suffix(".json").unlink()
    with pytest.raises(FileNotFoundError, match="the record of model.keras is missing. retrain"):
        files.read_record(path, fix="retrain")


def test_a_weights_file_and_its_record_share_a_stem(tmp_path):
    assert files.record_path(tmp_path / "model.weights.h5") == tmp_path / "model.json"
    assert files.record_path(tmp_path / "model.keras") == tmp_path / "model.json"
    record = files.write_record(tmp_path / "model.weights.h5", b"w", {})
    assert json.loads((tmp_path / "model.json").read_text()) == record and record["file"] == "model.weights.h5"
