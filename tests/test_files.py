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


def test_verify_file_accepts_the_right_file_and_names_problems(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"weights")
    digest = files.file_digest(path)
    assert files.verify_file(path, 7, digest, fix="retrain") == path
    with pytest.raises(files.CorruptFileError, match=r"model.keras: 7 bytes, expected 8.*retrain"):
        files.verify_file(path, 8, digest, fix="retrain")
    path.write_bytes(b"weightz")
    with pytest.raises(files.CorruptFileError, match="checksum mismatch.*retrain"):
        files.verify_file(path, 7, digest, fix="retrain")
    with pytest.raises(FileNotFoundError, match="missing.keras: not found. retrain"):
        files.verify_file(tmp_path / "missing.keras", 7, digest, fix="retrain")
