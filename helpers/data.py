"""Fashion-MNIST for the lessons: offline first, checked, with stratified subsets.

Fashion-MNIST is read from the first directory that holds all four gzipped IDX files:

1. ``$COURSE_DATA_DIR``;
2. ``data/fashion-mnist/`` in this repository;
3. ``/usr/share/datasets/fashion-mnist/`` (Debian's ``dataset-fashion-mnist``);
4. the Keras cache, ``~/.keras/datasets/fashion-mnist/``;
5. otherwise the files are downloaded through Keras into that cache, atomically.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from .files import checked_download

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
# Sizes of the real data set; a download that does not match them is rejected.
FASHION_COUNTS = {"x_train": 60000, "y_train": 60000, "x_test": 10000, "y_test": 10000}
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

_IDX_UBYTE = 0x08  # the only element type Fashion-MNIST uses
_FIX_ADVICE = (
    "Delete it and load again to re-download it, or install Debian's copy with "
    "'sudo apt-get install dataset-fashion-mnist', or point COURSE_DATA_DIR at a folder with good files."
)


class DataFileError(ValueError):
    """A data file is missing, truncated or not what its name says."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes (the MNIST family's format).

    Layout: 2 zero bytes, a type byte (0x08 = uint8), a byte with the number of dimensions ``d``,
    ``d`` big-endian uint32 sizes, then the data.

    Returns:
        uint8 array, e.g. shape (N, 28, 28) for images or (N,) for labels.

    Raises:
        FileNotFoundError: if there is no file at ``path``.
        DataFileError: naming the file, if it is truncated, corrupt or not IDX.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file. {_FIX_ADVICE.replace('Delete it and load', 'Load')}")
    try:
        with gzip.open(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError, zlib.error) as err:
        raise DataFileError(
            f"{path}: cannot decompress ({err}); the file is truncated or corrupt. {_FIX_ADVICE}"
        ) from err
    if len(raw) < 4 or raw[0:2] != b"\x00\x00" or raw[2] != _IDX_UBYTE or raw[3] == 0:
        raise DataFileError(
            f"{path}: bad IDX magic number {raw[:4].hex() or '(empty)'}; "
            f"expected 000008 then a dimension count. {_FIX_ADVICE}"
        )
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataFileError(f"{path}: IDX header truncated. {_FIX_ADVICE}")
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header_size + int(np.prod(shape))
    if len(raw) != expected:
        raise DataFileError(
            f"{path}: header promises shape {shape} ({expected} bytes) "
            f"but the file holds {len(raw)} bytes. {_FIX_ADVICE}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def fashion_mnist_dirs() -> list[Path]:
    """The directories searched for Fashion-MNIST, in order (see the module docstring)."""
    dirs = [Path(os.environ["COURSE_DATA_DIR"])] if os.environ.get("COURSE_DATA_DIR") else []
    return dirs + [DATA_DIR / "fashion-mnist", DEBIAN_FASHION_DIR, keras_fashion_dir()]


def keras_fashion_dir() -> Path:
    """Where Keras' own ``fashion_mnist.load_data()`` caches the files."""
    from .keras_cache import keras_cache_dir

    return keras_cache_dir("datasets") / "fashion-mnist"


def find_fashion_mnist() -> Path | None:
    """The first searched directory that has all four files, or ``None``."""
    for folder in fashion_mnist_dirs():
        if all((folder / name).is_file() for name in FASHION_FILES.values()):
            return folder
    return None


def download_fashion_mnist(target: Path | None = None) -> Path:
    """Download the four files through Keras into ``target``, atomically.

    Each file goes to a temporary folder beside ``target``, is checked by parsing it (magic number,
    shape, exact size), and only then is renamed into place, so no half-written file is ever left.
    """
    import keras

    target = target or keras_fashion_dir()
    for key, name in FASHION_FILES.items():
        if (target / name).is_file():
            continue

        def fetch(staging: Path, name: str = name) -> Path:
            return Path(keras.utils.get_file(name, origin=FASHION_URL + name, cache_dir=staging, cache_subdir="."))

        def check(path: Path, key: str = key) -> None:
            if (records := len(read_idx(path))) != FASHION_COUNTS[key]:
                raise DataFileError(f"{FASHION_URL + path.name}: expected {FASHION_COUNTS[key]} records, got {records}")

        checked_download(fetch, target / name, check)
    return target


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST exactly as ``keras.datasets.fashion_mnist.load_data()`` returns it.

    Args:
        data_dir: read the four files from here instead of searching.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 images of shape (60000, 28, 28) and
        (10000, 28, 28), uint8 labels 0..9 of shape (60000,) and (10000,).
    """
    folder = Path(data_dir) if data_dir is not None else (find_fashion_mnist() or download_fashion_mnist())
    arrays = {}
    for key, name in FASHION_FILES.items():
        if not (folder / name).is_file():
            raise DataFileError(f"{folder / name}: file not found; data_dir must hold {sorted(FASHION_FILES.values())}")
        arrays[key] = read_idx(folder / name)
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataFileError(
                f"{folder}: {split} images {images.shape} and labels {labels.shape} do not pair up; "
                f"expected (N, 28, 28) and (N,). {_FIX_ADVICE}"
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def stratified_subset(x: np.ndarray, y: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random subset of ``n`` samples with the class proportions of ``y``.

    Args:
        x: samples, shape (N, ...).
        y: integer class labels, shape (N,).
        n: subset size, ``num_classes <= n <= N``.

    Returns:
        ``(x_subset, y_subset)`` in shuffled order. Each class gets ``n * share`` samples,
        rounded so that the total is exactly ``n``.
    """
    x, y = np.asarray(x), np.asarray(y)
    if y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"x, y: expected x of shape (N, ...) and y of shape (N,), got {x.shape} and {y.shape}")
    classes, counts = np.unique(y, return_counts=True)
    if not len(classes) <= n <= len(y):
        raise ValueError(f"n: expected {len(classes)} <= n <= {len(y)} (one per class, at most all), got {n}")
    rng = np.random.default_rng(seed)
    exact = counts / len(y) * n
    quotas = np.clip(np.floor(exact), 1, counts).astype(int)  # every class at least once
    # Settle the rounding: add to the classes that lost most, or take from the largest ones (never below 1).
    while quotas.sum() < n:
        room = np.where(quotas < counts, exact - quotas, -np.inf)
        quotas[np.argmax(room)] += 1
    while quotas.sum() > n:
        quotas[np.argmax(np.where(quotas > 1, quotas - exact, -np.inf))] -= 1
    picked = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), size=q, replace=False) for c, q in zip(classes, quotas)]
    )
    rng.shuffle(picked)
    return x[picked], y[picked]
