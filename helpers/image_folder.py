"""A folder of one's own images, one subfolder per class: check it, read it as a Keras dataset, and write an
example one.

The layout ``keras.utils.image_dataset_from_directory`` expects::

    root/
        cat/    img_001.jpg  img_002.png  holiday/img_003.jpg   (nested folders are read too)
        dog/    ...

:func:`check_image_folder` looks at every file Keras would read, and at the ones it would skip without a word,
before any dataset exists, and reports all the problems in one :class:`ImageFolderError`. Left to Keras, a file
it does not know is skipped silently and a corrupt JPEG stops training deep inside TensorFlow
(keras-team/keras#19026).

Files ignored without a report: hidden files (name starting with ``"."``, e.g. ``.DS_Store``) and the files an
operating system adds by itself (``Thumbs.db``, ``desktop.ini``); they are not the learner's and would bury the real
problems. A hidden file with an image suffix (macOS's ``._IMG_0001.jpg``) is the exception: Keras reads it, so it is
checked like any image. Hidden folders directly in ``root`` (``.ipynb_checkpoints``) are not classes, as for Keras.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .files import atomic_write

if TYPE_CHECKING:
    import tensorflow as tf

# ALLOWLIST_FORMATS in keras/src/utils/image_dataset_utils.py (checked in Keras 3.15.1; the same tuple since
# tf.keras 2.3). Keras compares ``name.lower().endswith(...)``, so ".JPG" counts; any other file is skipped.
IMAGE_SUFFIXES: tuple[str, ...] = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

_OS_CLUTTER = frozenset({"thumbs.db", "desktop.ini"})

# Images in formats Keras skips, and what to do with them.
_CONVERT = "Keras cannot read it (it would skip it silently): convert it to JPEG or PNG"
_OTHER_IMAGE_FORMATS = {
    ".heic": f"an iPhone HEIC photo; {_CONVERT}",
    ".heif": f"a HEIF photo; {_CONVERT}",
    ".webp": f"a WebP image; {_CONVERT}",
    ".avif": f"an AVIF image; {_CONVERT}",
    ".tif": f"a TIFF image; {_CONVERT}",
    ".tiff": f"a TIFF image; {_CONVERT}",
    ".jfif": "a JPEG under a suffix Keras skips silently: rename it to .jpg",
    ".jpe": "a JPEG under a suffix Keras skips silently: rename it to .jpg",
}

# What TensorFlow's decode_image reads, by content, as Pillow names the formats (MPO: a multi-picture JPEG from
# some cameras; TensorFlow reads its first picture). Checked with TF 2.21: a TIFF named .png fails there.
_DECODABLE_FORMATS = frozenset({"JPEG", "MPO", "PNG", "GIF", "BMP"})
# TensorFlow's BMP decoder reads 8-, 24- and 32-bit files only (checked with TF 2.21: 1, 4 and 16 bits fail).
_DECODABLE_BMP_BITS = frozenset({8, 24, 32})

# What Pillow raises on a damaged or foreign file, depending on the format and where the damage is.
_PILLOW_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
    zlib.error,
)

# Characters Windows and macOS do not allow in a folder name, beside the separators.
_FORBIDDEN_IN_NAMES = '/\\<>:"|?*'


class ImageFolderError(ValueError):
    """Everything wrong with an image folder, found before anything was read: ``problems`` has one line each."""

    def __init__(self, root: str | os.PathLike, problems: Sequence[str]) -> None:
        self.root = Path(root)
        self.problems = list(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        lines = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"{self.root}: {len(self.problems)} {noun}; nothing was read:\n{lines}")

    def __reduce__(self):  # so the error survives pickling (multiprocessing), which replays __init__'s arguments
        return type(self), (self.root, self.problems)


@dataclass(frozen=True)
class FolderSummary:
    """What :func:`check_image_folder` found in a sound folder.

    ``class_names`` are sorted the way Keras sorts them (Python's string order: upper case before lower case), so
    class ``class_names[k]`` gets label ``k``. ``smallest`` is the (width, height) of the image with the shortest side.
    """

    root: Path
    class_names: list[str]
    counts: dict[str, int]
    smallest: tuple[int, int]

    def describe(self) -> str:
        """One line, e.g. ``"5 classes, 100 images (20 to 20 per class), smallest 28x28 px"``."""
        counts = [self.counts[name] for name in self.class_names]
        width, height = self.smallest
        return (
            f"{len(counts)} classes, {sum(counts)} images ({min(counts)} to {max(counts)} per class), "
            f"smallest {width}x{height} px"
        )


class _BadImage(Exception):
    """An image file that TensorFlow would fail on; the message says why."""


def _require_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_options(min_per_class: int, min_side: int, max_imbalance: float) -> None:
    _require_int("min_per_class", min_per_class, 1)
    _require_int("min_side", min_side, 1)
    if isinstance(max_imbalance, bool) or not isinstance(max_imbalance, (int, float, np.number)):
        raise ValueError(f"max_imbalance: expected a number >= 1, got {max_imbalance!r}")
    if not max_imbalance >= 1:  # also refuses NaN
        raise ValueError(
            f"max_imbalance: expected a number >= 1 (largest class / smallest class), got {max_imbalance!r}"
        )


@contextlib.contextmanager
def _strict_pillow() -> Iterator[None]:
    """Let Pillow fail on truncated files even where a notebook set ``ImageFile.LOAD_TRUNCATED_IMAGES = True``
    (a common forum fix): TensorFlow does not forgive them."""
    from PIL import ImageFile

    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _bmp_bits(path: Path) -> int:
    """Bits per pixel of a BMP file: the 16-bit field at byte 28, where TensorFlow reads it."""
    with open(path, "rb") as stream:
        header = stream.read(30)
    return struct.unpack("<H", header[28:30])[0] if len(header) >= 30 else 0


def _image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image file, decoded fully by Pillow as TensorFlow will have to.

    Raises:
        _BadImage: Pillow cannot decode it, or its content is one TensorFlow cannot decode.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            size, kind = image.size, image.format
            image.load()
    except UnidentifiedImageError as err:
        raise _BadImage(
            "unreadable or corrupt: not an image Pillow recognises (random bytes, a web page saved as an image, "
            "a renamed HEIC photo?)"
        ) from err
    except Image.DecompressionBombError as err:
        raise _BadImage(f"too large to decode safely ({err}); resize it") from err
    except _PILLOW_ERRORS as err:
        raise _BadImage(f"unreadable or corrupt ({type(err).__name__}: {err})") from err
    if kind not in _DECODABLE_FORMATS:
        raise _BadImage(
            f"its content is {kind}, not JPEG, PNG, GIF or BMP as its suffix {path.suffix!r} claims, and TensorFlow "
            "decodes by content: convert it to JPEG or PNG"
        )
    if kind == "BMP" and (bits := _bmp_bits(path)) not in _DECODABLE_BMP_BITS:
        raise _BadImage(f"a {bits}-bit BMP; TensorFlow reads only 8-, 24- and 32-bit BMPs: convert it to PNG")
    return size


def _class_folders(root: Path, problems: list[str]) -> list[str]:
    """Names of the class subfolders of ``root`` (sorted as Keras sorts them); files lying in ``root`` go to
    ``problems``."""
    classes = []
    for entry in sorted(os.listdir(root)):
        path = root / entry
        if entry.startswith(".") or (path.is_file() and entry.lower() in _OS_CLUTTER):
            continue
        if path.is_dir():
            classes.append(entry)
        else:
            problems.append(
                f"{entry}: a file directly in the folder; Keras reads only the images inside class subfolders and "
                "ignores it: move it into a class subfolder, or out of the folder"
            )
    return classes


def _class_files(class_dir: Path) -> Iterator[Path]:
    """Every file under ``class_dir`` in Keras' order (os.walk, symbolic links to folders not followed)."""
    for folder, _, names in sorted(os.walk(class_dir), key=lambda walked: walked[0]):
        for name in sorted(names):
            yield Path(folder) / name


def _check_class(root: Path, name: str, min_side: int, problems: list[str], sizes: list[tuple[int, int]]) -> int:
    """Check the files of one class; returns how many good images it has (too small ones included)."""
    count = 0
    for path in _class_files(root / name):
        shown = path.relative_to(root)
        suffix = path.suffix.lower()
        if not path.name.lower().endswith(IMAGE_SUFFIXES):
            if path.name.startswith(".") or path.name.lower() in _OS_CLUTTER:
                continue
            if suffix in _OTHER_IMAGE_FORMATS:
                problems.append(f"{shown}: {_OTHER_IMAGE_FORMATS[suffix]}")
            else:
                problems.append(
                    f"{shown}: not an image Keras reads (it reads {', '.join(IMAGE_SUFFIXES)}) and would skip it "
                    "silently: move it out of the folder"
                )
            continue
        try:
            width, height = _image_size(path)
        except _BadImage as bad:
            fix = "delete it or export it again"
            if path.name.startswith("._"):
                fix = "it is a macOS metadata file that Keras would read as an image: delete it"
            problems.append(f"{shown}: {bad}; TensorFlow would stop on it in the middle of training: {fix}")
            continue
        count += 1
        sizes.append((width, height))
        if min(width, height) < min_side:
            problems.append(
                f"{shown}: {width}x{height} px, its shorter side is below min_side={min_side}; scaled up to the "
                "model's input size it is mostly blur: remove it, or pass a smaller min_side"
            )
    return count


def _count_problems(counts: dict[str, int], min_per_class: int, max_imbalance: float) -> list[str]:
    """Classes with too few images, and the largest against the smallest class."""
    problems = []
    for name, count in counts.items():
        if count == 0:
            problems.append(
                f"{name}: no images (Keras reads {', '.join(IMAGE_SUFFIXES)}); Keras would still make it a class "
                "that no image teaches: add images or remove the folder"
            )
        elif count < min_per_class:
            problems.append(
                f"{name}: {count} image{'s' if count > 1 else ''}, fewer than min_per_class={min_per_class}: add "
                "images (a few dozen per class is a good start), or pass a smaller min_per_class"
            )
    filled = {name: count for name, count in counts.items() if count > 0}
    if len(filled) >= 2:
        big = max(filled, key=filled.get)
        small = min(filled, key=filled.get)
        ratio = filled[big] / filled[small]
        if ratio > max_imbalance:
            problems.append(
                f"imbalance: {big} has {filled[big]} images, {small} only {filled[small]} ({ratio:.1f} times fewer, "
                f"more than max_imbalance={max_imbalance:g}); a model then tends to predict {big}: add images of "
                f"{small}, leave out some of {big}, or pass a larger max_imbalance"
            )
    return problems


def check_image_folder(
    root: str | os.PathLike, min_per_class: int = 5, min_side: int = 32, max_imbalance: float = 4.0
) -> FolderSummary:
    """Check a folder of images, one subfolder per class, before Keras reads it.

    Every image file (a suffix of :data:`IMAGE_SUFFIXES`, any case) is decoded fully with Pillow. Hidden files and
    ``Thumbs.db``/``desktop.ini`` are ignored (see the module's docstring). Images in nested folders of a class
    count for that class, as in Keras.

    Args:
        min_per_class: fewest images a class may have.
        min_side: shortest side, in pixels, an image may have.
        max_imbalance: largest allowed ratio of the largest class's count to the smallest's.

    Returns:
        The summary: class names in Keras' label order, images per class, the smallest image.

    Raises:
        ValueError: an option is out of range.
        ImageFolderError: with every problem found: files Keras skips or cannot decode, tiny images, classes too
            small or too unequal, files outside the class folders, fewer than two classes.
    """
    _check_options(min_per_class, min_side, max_imbalance)
    root = Path(root)
    if not root.exists():
        raise ImageFolderError(root, [f"no such folder (relative paths start at {Path.cwd()}): check the path"])
    if not root.is_dir():
        raise ImageFolderError(root, ["a file, not a folder: give the folder that holds one subfolder per class"])
    problems: list[str] = []
    class_names = _class_folders(root, problems)
    if not class_names:
        problems.append("no class subfolders: put each class's images in a subfolder of its own, e.g. cat/, dog/")
    elif len(class_names) == 1:
        problems.append(f"only one class subfolder, {class_names[0]}: a classifier needs at least two classes")
    sizes: list[tuple[int, int]] = []
    with _strict_pillow():
        counts = {name: _check_class(root, name, min_side, problems, sizes) for name in class_names}
    problems += _count_problems(counts, min_per_class, max_imbalance)
    if problems:
        raise ImageFolderError(root, problems)
    smallest = min(sizes, key=lambda size: (min(size), size[0] * size[1]))
    return FolderSummary(root=root, class_names=class_names, counts=counts, smallest=smallest)


def _check_load_arguments(image_size: Sequence[int], batch_size: int, validation_split: float, seed: int) -> None:
    if (
        not isinstance(image_size, (tuple, list))
        or len(image_size) != 2
        or any(isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 1 for side in image_size)
    ):
        raise ValueError(f"image_size: expected (height, width), two integers >= 1, got {image_size!r}")
    _require_int("batch_size", batch_size, 1)
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.floating)):
        raise ValueError(f"validation_split: expected a fraction between 0 and 1, got {validation_split!r}")
    if not 0 < validation_split < 1:
        raise ValueError(
            f"validation_split: expected a fraction strictly between 0 and 1 (e.g. 0.2), got {validation_split!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed: expected an integer (it fixes which images go to validation), got {seed!r}")


def _split_problems(summary: FolderSummary, validation_split: float) -> list[str]:
    """Classes too small to send about one image to each subset, or a folder too small for any validation."""
    total = sum(summary.counts.values())
    if int(validation_split * total) == 0:  # Keras' count of validation images
        return [
            f"validation_split={validation_split:g} of {total} images leaves none for validation: add images or "
            "pass a larger validation_split"
        ]
    problems = []
    tolerance = 1e-9  # 5 * 0.2 is 1 in floating point, but other products land just below
    for name in summary.class_names:
        count = summary.counts[name]
        if count * validation_split < 1 - tolerance or count * (1 - validation_split) < 1 - tolerance:
            problems.append(
                f"{name}: {count} images are too few for validation_split={validation_split:g} (about "
                f"{count * validation_split:.1f} would go to validation, {count * (1 - validation_split):.1f} to "
                "training): add images, or pass another validation_split"
            )
    return problems


def load_image_folder(
    root: str | os.PathLike,
    image_size: tuple[int, int] = (224, 224),
    batch_size: int = 32,
    validation_split: float = 0.2,
    seed: int = 0,
    **check_options,
) -> tuple[tf.data.Dataset, tf.data.Dataset, FolderSummary]:
    """Check the folder (:func:`check_image_folder`, given ``check_options``), then read it with Keras.

    Reading is ``keras.utils.image_dataset_from_directory`` with labels inferred from the subfolders (sorted, so
    label ``k`` is ``summary.class_names[k]``), RGB, shuffled with ``seed``. Keras splits the shuffled files as a
    whole, not class by class, so with few images a class may by chance be missing from validation: see each
    dataset's ``file_paths``.

    Args:
        image_size: (height, width) every image is resized to (bilinear; the proportions are not kept).
        validation_split: fraction of the images held out for validation, strictly between 0 and 1.

    Returns:
        ``(train, validation, summary)``: the two datasets yield batches of float32 images in 0..255 of shape
        (N, height, width, 3) and int32 labels (N,), N <= ``batch_size``.

    Raises:
        ValueError: an argument is out of range.
        ImageFolderError: the folder has problems, or too few images for the split; Keras was not called.
    """
    _check_load_arguments(image_size, batch_size, validation_split, seed)
    summary = check_image_folder(root, **check_options)
    if problems := _split_problems(summary, validation_split):
        raise ImageFolderError(summary.root, problems)
    from .environment import keras

    train, validation = keras.utils.image_dataset_from_directory(
        str(summary.root),
        labels="inferred",
        label_mode="int",
        color_mode="rgb",
        image_size=(int(image_size[0]), int(image_size[1])),
        batch_size=int(batch_size),
        validation_split=float(validation_split),
        subset="both",
        seed=int(seed),
        shuffle=True,
    )
    found = len(train.file_paths) + len(validation.file_paths)
    if list(train.class_names) != summary.class_names or found != sum(summary.counts.values()):
        raise RuntimeError(
            f"{summary.root}: Keras found {found} images in classes {list(train.class_names)}, the check found "
            f"{sum(summary.counts.values())} in {summary.class_names}; did the folder change while it was read?"
        )
    return train, validation, summary


def _check_class_names(class_names: Sequence[str]) -> list[str]:
    names = [] if isinstance(class_names, str) else list(class_names)
    if len(names) < 2:
        raise ValueError(f"class_names: expected a sequence of at least 2 names, got {class_names!r}")
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"class_names[{index}]: expected a non-empty folder name, got {name!r}")
        if bad := sorted({char for char in name if char in _FORBIDDEN_IN_NAMES}):
            suggestion = "".join(" or " if char == "/" else "-" if char in bad else char for char in name)
            raise ValueError(
                f"class_names[{index}]: {name!r} contains {' '.join(bad)}, which a folder name cannot hold ('/' "
                f"would make a nested folder): use e.g. {suggestion!r}"
            )
        if name.startswith("."):
            raise ValueError(f"class_names[{index}]: {name!r} starts with '.', and Keras skips hidden folders")
        if name.lower() in seen:  # one folder on the case-insensitive disks of Windows and macOS
            raise ValueError(
                f"class_names[{index}]: {name!r} repeats class_names[{seen[name.lower()]}] (letter case aside)"
            )
        seen[name.lower()] = index
    return names


def _png_bytes(image: np.ndarray) -> bytes:
    """PNG of a uint8 image (H, W), (H, W, 1) or (H, W, 3)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image).save(buffer, format="PNG")
    return buffer.getvalue()


def write_example_folder(
    root: str | os.PathLike,
    images: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    per_class: int,
    seed: int = 0,
) -> Path:
    """Write ``per_class`` images of each class as PNG files, one subfolder per class, as a camera folder looks.

    The images of label ``k`` go to ``root/<class_names[k]>/<name lowercased, spaces as underscores>_0001.png``;
    which ones is drawn without replacement with ``seed``. Every file is written atomically. Everything is checked
    before the first file is written.

    Args:
        images: uint8 (N, H, W) or (N, H, W, 1) grayscale, or (N, H, W, 3) RGB.
        labels: integers in 0..len(class_names)-1, shape (N,).
        class_names: folder names, e.g. Fashion-MNIST's with "T-shirt/top" renamed (no "/" in a folder name).
        per_class: images to write of each class.

    Returns:
        ``root``.

    Raises:
        ValueError: a bad argument, too few images of a class, or ``root`` already holds something.
    """
    root = Path(root)
    names = _check_class_names(class_names)
    per_class = _require_int("per_class", per_class, 1)
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8:
        raise ValueError(f"images: expected uint8 pixels 0..255, got dtype {images.dtype} (cast after checking)")
    if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] in (1, 3))):
        raise ValueError(f"images: expected shape (N, H, W), (N, H, W, 1) or (N, H, W, 3), got {images.shape}")
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels: expected {len(images)} integer labels, shape ({len(images)},), got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= len(names)):
        raise ValueError(
            f"labels: expected 0..{len(names) - 1} (one per class name), got {labels.min()}..{labels.max()}"
        )
    available = np.bincount(labels, minlength=len(names))
    for label, name in enumerate(names):
        if available[label] < per_class:
            raise ValueError(
                f"per_class: {per_class} images of {name!r} (label {label}) wanted, only {available[label]} given"
            )
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ValueError(
            f"root: {root} already exists and is not an empty folder; writing into it would mix two runs: delete it "
            "or choose another folder"
        )
    rng = np.random.default_rng(seed)
    digits = max(4, len(str(per_class)))
    for label, name in enumerate(names):
        chosen = rng.choice(np.flatnonzero(labels == label), size=per_class, replace=False)
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        stem = name.lower().replace(" ", "_")
        for number, index in enumerate(chosen, start=1):
            atomic_write(folder / f"{stem}_{number:0{digits}d}.png", _png_bytes(images[index]))
    return root
