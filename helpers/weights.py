"""Pretrained ImageNet weights for VGG16: find, download, check and install them for offline use.

    python -m helpers.weights install PATH   # check a downloaded copy and put it in Keras' cache
    python -m helpers.weights status         # where the weights are looked for, and what is there

For a classroom without internet: download the file once, carry it on a USB stick, and run
``install`` on each machine. ``keras.applications.VGG16(weights="imagenet")`` then works offline too,
because the file lands exactly where Keras looks for it.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .files import CorruptFileError, atomic_copy, checked_download, verify_file
from .profiles import profile

ENV_VAR = "COURSE_VGG16_WEIGHTS"


@dataclass(frozen=True)
class WeightsFile:
    """A weights file as Keras publishes it: its name, size in bytes, md5 and download URL."""

    name: str
    size: int
    md5: str
    url: str

    def describe(self) -> str:
        return f"{self.name} ({self.size:,} bytes, {self.size / 2**20:.0f} MiB, md5 {self.md5})"


# Name, md5 and URL as in keras/src/applications/vgg16.py; the size is that of Keras' published file.
VGG16_IMAGENET = WeightsFile(
    name="vgg16_weights_tf_dim_ordering_tf_kernels.h5",
    size=553_467_096,
    md5="64373286793e3c8b2b4e3219cbf3544b",
    url="https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
)


def load_keras2_weights(model, path: str | os.PathLike, rows_per_read: int = 4096) -> None:
    """Load a Keras 2 ``.h5`` weights file (the layout of the published VGG16 file) into ``model``.

    Layers are matched by name. Large kernels are copied ``rows_per_read`` rows at a time, so NumPy
    never holds a whole one: ``fc1`` alone is 411 MB, and Keras' own loader reads it in one piece.

    Raises:
        CorruptFileError: if a layer or weight is missing or has the wrong shape.
    """
    import h5py

    if rows_per_read < 1:
        raise ValueError(f"rows_per_read: expected >= 1, got {rows_per_read}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such weights file")
    with h5py.File(path, "r") as file:
        for layer in model.layers:
            for variable, stored in zip(layer.weights, _stored_weights(file, layer, path)):
                for start in range(0, stored.shape[0], rows_per_read):
                    variable.value[start : start + rows_per_read].assign(stored[start : start + rows_per_read])


def _stored_weights(file, layer, path) -> list:
    """The h5 datasets holding ``layer``'s weights, in order, checked against its variables."""
    if not layer.weights:
        return []
    if layer.name not in file:
        raise CorruptFileError(f"{path}: no weights for layer {layer.name!r}; is it a VGG16 weights file?")
    group = file[layer.name]
    stored = [group[name.decode() if isinstance(name, bytes) else name] for name in group.attrs["weight_names"]]
    shapes, expected = [item.shape for item in stored], [tuple(variable.shape) for variable in layer.weights]
    if shapes != expected:
        raise CorruptFileError(f"{path}: layer {layer.name!r} has weights of shapes {shapes}, expected {expected}")
    return stored


def keras_models_dir() -> Path:
    """Where Keras caches application weights (``~/.keras/models`` unless Keras was told otherwise)."""
    from .keras_cache import keras_cache_dir

    return keras_cache_dir("models")


def verify_weights(path: str | os.PathLike, spec: WeightsFile = VGG16_IMAGENET) -> Path:
    """Check size, then md5 (Keras' own check). Raises ``FileNotFoundError`` or ``CorruptFileError``."""
    fix = f"{spec.name} has {spec.size:,} bytes and md5 {spec.md5}."
    return verify_file(path, spec.size, spec.md5, fix, algorithm="md5")


def install(path: str | os.PathLike, spec: WeightsFile = VGG16_IMAGENET, cache_dir: Path | None = None) -> Path:
    """Check a weights file and copy it atomically into Keras' cache under its official name.

    Nothing is written if the check fails.
    """
    verify_weights(path, spec)
    cache_dir = cache_dir or keras_models_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    return atomic_copy(path, cache_dir / spec.name)


def find_weights(spec: WeightsFile = VGG16_IMAGENET) -> Path | None:
    """A checked local copy: ``$COURSE_VGG16_WEIGHTS`` if set (a bad file there is an error), else
    Keras' cache if it holds a good one, else ``None``."""
    chosen = os.environ.get(ENV_VAR, "")
    if chosen and chosen != "random":
        return verify_weights(chosen, spec)
    cached = keras_models_dir() / spec.name
    if cached.is_file():
        try:
            return verify_weights(cached, spec)
        except CorruptFileError:
            return None  # Keras will download over it
    return None


class WeightsUnavailableError(RuntimeError):
    """The ImageNet weights are neither on this machine nor downloadable."""


def get_weights(spec: WeightsFile = VGG16_IMAGENET) -> Path | str:
    """A checked weights file, or the reason to use random weights instead.

    Sources, in order: ``$COURSE_VGG16_WEIGHTS`` (a file path; ``random`` asks for random weights),
    Keras' cache (md5 checked), Keras' download. Only the smoke profile falls back to random weights
    when the network or the file is unavailable; live and full raise :class:`WeightsUnavailableError`
    with :func:`how_to_get`'s instructions. Any other error, such as a bug in this code, surfaces.
    """
    if os.environ.get(ENV_VAR) == "random":
        return f"{ENV_VAR}=random"
    path = find_weights(spec)  # a bad file named by COURSE_VGG16_WEIGHTS raises here, by name
    if path is not None:
        return path
    try:
        return download(spec)
    except Exception as err:
        if not _is_unavailable(err):
            raise  # a bug in our own code must surface, never turn into random weights
        if profile() == "smoke":
            return "the smoke profile, with no weights on this machine"
        raise WeightsUnavailableError(f"{how_to_get(spec)}\n(The download failed: {err})") from None


def download(spec: WeightsFile = VGG16_IMAGENET) -> Path:
    """Download through Keras into a staging folder, check, then move into Keras' cache atomically."""
    from .environment import keras

    def fetch(staging: Path) -> Path:
        return Path(keras.utils.get_file(spec.name, spec.url, file_hash=spec.md5, cache_dir=staging, cache_subdir="."))

    return checked_download(fetch, keras_models_dir() / spec.name, lambda path: verify_weights(path, spec))


def _is_unavailable(err: Exception) -> bool:
    """Does ``err`` mean "the network or the file is unavailable", as opposed to a programming error?

    ``OSError`` covers no network, refused connections and a full disk; ``CorruptFileError`` a proxy
    page or a truncated file. ``keras.utils.get_file`` re-raises network errors as a bare
    ``Exception("URL fetch failure on ...")`` and a failed hash check as ``ValueError("Incomplete or
    corrupted file detected ...")``; only those exact messages count.
    """
    if isinstance(err, (OSError, CorruptFileError)):
        return True
    message = str(err)
    if type(err) is Exception:
        return message.startswith("URL fetch failure")
    return type(err) is ValueError and message.startswith("Incomplete or corrupted file")


def how_to_get(spec: WeightsFile = VGG16_IMAGENET) -> str:
    """Instructions for a machine without the weights."""
    return (
        f"The VGG16 ImageNet weights are not on this machine and could not be downloaded.\n"
        f"  File: {spec.describe()}\n"
        f"  From: {spec.url}\n"
        f"With internet, running this cell again downloads them (Keras does it). Without internet, copy the\n"
        f"file from a machine that has it (it is in ~/.keras/models/ there) and run\n"
        f"  python -m helpers.weights install /path/to/{spec.name}\n"
        f"or point {ENV_VAR} at the file. {ENV_VAR}=random runs the lesson with random weights\n"
        f"(the predictions are then meaningless)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.weights", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="check a VGG16 weights file and copy it into Keras' cache").add_argument("path")
    commands.add_parser("status", help="show where the weights are looked for")
    args = parser.parse_args(argv)
    if args.command == "install":
        try:
            target = install(args.path, VGG16_IMAGENET)
        except (FileNotFoundError, CorruptFileError) as err:
            print(f"Not installed: {err}\nNothing was written.", file=sys.stderr)
            return 1
        print(f"Installed {target}. keras.applications.VGG16(weights='imagenet') now works offline.")
        return 0
    print(f"{ENV_VAR}: {os.environ.get(ENV_VAR) or '(not set)'}")
    print(f"Keras cache: {keras_models_dir() / VGG16_IMAGENET.name}")
    try:
        found = find_weights()
    except (FileNotFoundError, CorruptFileError) as err:
        print(f"Problem: {err}")
        return 1
    print(f"Usable weights: {found}" if found else how_to_get())
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
