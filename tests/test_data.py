import gzip
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from tests.conftest import need_fashion_mnist


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzipped IDX file: Fashion-MNIST's format, for tiny test sets."""
    array = np.asarray(array)
    if array.dtype != np.uint8 or array.ndim == 0:
        raise ValueError(f"array: expected a uint8 array with at least one dimension, got {array.dtype} {array.shape}")
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    path.write_bytes(gzip.compress(header + array.tobytes(), mtime=0))


def write_tiny_fashion(folder: Path, n_train: int = 20, n_test: int = 10) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }
    for key, name in data.FASHION_FILES.items():
        write_idx(folder / name, arrays[key])


def test_idx_round_trip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", array)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz"), array)
    assert list(tmp_path.iterdir()) == [tmp_path / "a.gz"], "no temporary file may be left behind"


def test_write_idx_rejects_non_uint8(tmp_path):
    with pytest.raises(ValueError, match="array: expected a uint8"):
        write_idx(tmp_path / "a.gz", np.zeros((2, 2), dtype=np.float32))


def test_truncated_file_is_named_with_a_fix(tmp_path):
    write_idx(tmp_path / "a.gz", np.zeros((50, 28, 28), dtype=np.uint8))
    blob = (tmp_path / "a.gz").read_bytes()
    (tmp_path / "a.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(data.DataFileError, match=r"a\.gz.*truncated or corrupt.*apt-get install dataset-fashion-mnist"):
        data.read_idx(tmp_path / "a.gz")


def test_not_gzip_is_reported(tmp_path):
    (tmp_path / "a.gz").write_bytes(b"<html>404 not found</html>")
    with pytest.raises(data.DataFileError, match=r"a\.gz.*cannot decompress"):
        data.read_idx(tmp_path / "a.gz")


def test_bad_magic_is_reported(tmp_path):
    with gzip.open(tmp_path / "a.gz", "wb") as stream:
        stream.write(b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"\x00" * 12)  # 0x0d = float, not uint8
    with pytest.raises(data.DataFileError, match="bad IDX magic number 00000d01"):
        data.read_idx(tmp_path / "a.gz")


def test_size_mismatch_is_reported(tmp_path):
    with gzip.open(tmp_path / "a.gz", "wb") as stream:
        stream.write(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + b"\x01" * 9)  # one byte short
    with pytest.raises(data.DataFileError, match=r"promises shape \(10,\) \(18 bytes\) but the file holds 17"):
        data.read_idx(tmp_path / "a.gz")


def test_load_from_a_folder_returns_keras_layout(tmp_path):
    write_tiny_fashion(tmp_path)
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist(tmp_path)
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == ((20, 28, 28), (20,), (10, 28, 28), (10,))
    assert x_train.dtype == y_train.dtype == np.uint8


def test_load_names_a_missing_file(tmp_path):
    write_tiny_fashion(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DataFileError, match="t10k-labels-idx1-ubyte.gz: file not found"):
        data.load_fashion_mnist(tmp_path)


def test_load_rejects_images_and_labels_that_do_not_pair(tmp_path):
    write_tiny_fashion(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(19, dtype=np.uint8))
    with pytest.raises(data.DataFileError, match="train images .* do not pair up"):
        data.load_fashion_mnist(tmp_path)


def test_course_data_dir_comes_first(tmp_path, monkeypatch):
    write_tiny_fashion(tmp_path)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert data.fashion_mnist_dirs()[0] == tmp_path
    assert data.find_fashion_mnist() == tmp_path
    assert len(data.load_fashion_mnist()[0][0]) == 20


def test_search_order_after_the_variable(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    assert data.fashion_mnist_dirs() == [
        data.DATA_DIR / "fashion-mnist",
        data.DEBIAN_FASHION_DIR,
        data.keras_fashion_dir(),
    ]


@pytest.fixture
def fake_download(tmp_path, monkeypatch):
    """Replace Keras' get_file with one that 'downloads' from a local folder of tiny files."""
    source = tmp_path / "server"
    write_tiny_fashion(source)
    monkeypatch.setattr(data, "FASHION_COUNTS", {"x_train": 20, "y_train": 20, "x_test": 10, "y_test": 10})
    calls = []

    def get_file(fname, origin, cache_dir, cache_subdir):
        calls.append(fname)
        target = Path(cache_dir) / cache_subdir / fname
        target.write_bytes((source / fname).read_bytes())
        return str(target)

    import keras

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    return source, calls


def test_download_puts_checked_files_in_place(tmp_path, fake_download):
    target = tmp_path / "cache" / "fashion-mnist"
    data.download_fashion_mnist(target)
    assert sorted(p.name for p in target.iterdir()) == sorted(data.FASHION_FILES.values())
    assert sorted(p.name for p in target.parent.iterdir()) == ["fashion-mnist"], "staging folder must be removed"


def test_a_bad_download_leaves_no_file(tmp_path, fake_download):
    source, _ = fake_download
    write_idx(source / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), dtype=np.uint8))  # wrong count
    target = tmp_path / "cache" / "fashion-mnist"
    with pytest.raises(data.DataFileError, match="expected 10 records, got 3"):
        data.download_fashion_mnist(target)
    assert "t10k-images-idx3-ubyte.gz" not in {p.name for p in target.iterdir()}
    assert sorted(p.name for p in target.parent.iterdir()) == ["fashion-mnist"]


def test_download_skips_files_already_there(tmp_path, fake_download):
    _, calls = fake_download
    target = tmp_path / "cache" / "fashion-mnist"
    write_tiny_fashion(target)
    data.download_fashion_mnist(target)
    assert calls == []


def test_the_real_data_set_matches_keras_shapes():
    need_fashion_mnist()
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert y_train[:5].tolist() == [9, 0, 0, 3, 0]  # the first labels Keras' own loader gives


def test_stratified_subset_keeps_class_shares():
    y = np.repeat(np.arange(3), [50, 30, 20])
    x = np.arange(100)
    xs, ys = data.stratified_subset(x, y, n=10, seed=1)
    assert np.bincount(ys).tolist() == [5, 3, 2]
    np.testing.assert_array_equal(y[xs], ys)  # samples stay paired with their labels
    assert len(set(xs.tolist())) == 10


def test_stratified_subset_hits_n_exactly_when_shares_round_down():
    y = np.repeat(np.arange(3), [34, 33, 33])
    for n in (3, 7, 10, 50, 99, 100):
        assert len(data.stratified_subset(np.arange(100), y, n=n)[1]) == n


def test_stratified_subset_is_seeded():
    y = np.arange(100) % 10
    a = data.stratified_subset(np.arange(100), y, n=20, seed=3)[0]
    b = data.stratified_subset(np.arange(100), y, n=20, seed=3)[0]
    c = data.stratified_subset(np.arange(100), y, n=20, seed=4)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("n", [2, 101])
def test_stratified_subset_rejects_impossible_sizes(n):
    with pytest.raises(ValueError, match=rf"n: expected 3 <= n <= 100.*got {n}"):
        data.stratified_subset(np.arange(100), np.arange(100) % 3, n=n)


def test_stratified_subset_rejects_unpaired_input():
    with pytest.raises(ValueError, match="x, y: expected"):
        data.stratified_subset(np.zeros((5, 2)), np.zeros(4), n=2)


@pytest.mark.parametrize("n", [4, 5, 11, 50, 100])
def test_stratified_subset_is_exact_for_imbalanced_classes(n):
    y = np.repeat(np.arange(4), [2, 2, 2, 94])
    xs, ys = data.stratified_subset(np.arange(100), y, n=n, seed=0)
    counts = np.bincount(ys, minlength=4)
    assert len(ys) == n and counts.min() >= 1 and np.all(counts <= [2, 2, 2, 94])


def test_stratified_subset_with_a_single_sample_class():
    y = np.array([0] + [1] * 9)
    assert np.bincount(data.stratified_subset(np.arange(10), y, n=3)[1]).tolist() == [1, 2]


def test_a_missing_idx_file_is_reported_as_missing_not_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing\.gz: no such file") as raised:
        data.read_idx(tmp_path / "nothing.gz")
    assert "corrupt" not in str(raised.value) and "Delete it" not in str(raised.value)
