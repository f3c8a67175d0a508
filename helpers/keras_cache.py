"""Where Keras keeps the files it downloads, found without importing Keras (so tools need no TensorFlow).

Keras has no public function for its home folder. :func:`keras_home` follows Keras' own rule, and
``tests/test_keras_cache.py`` compares it with Keras' private answer, so a change in Keras fails
loudly there instead of sending files where Keras does not look.
"""

from __future__ import annotations

import os
from pathlib import Path


def keras_home() -> Path:
    """``$KERAS_HOME`` if set, else ``~/.keras``, or ``/tmp/.keras`` when the home folder is not writable."""
    if "KERAS_HOME" in os.environ:
        return Path(os.path.expanduser(os.environ["KERAS_HOME"]))
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return Path(base) / ".keras"


def keras_cache_dir(subdir: str) -> Path:
    """The folder ``keras.utils.get_file(..., cache_subdir=subdir)`` uses, so files placed there are found."""
    return keras_home() / subdir
