"""Reference outputs of the shipped models on fixed inputs: ``python tools/shipped_outputs.py``

``tests/test_shipped_models.py`` loads each model in ``data/pretrained/`` with the Keras it runs under
and compares its outputs on these inputs with the stored ones. The pinned suite and the floor check
(``tools/floor_check.sh``) both run that test, so a shipped file that some supported Keras reads
differently, or cannot read, fails CI. After retraining a model, run this script with the pinned
versions: the test names a model whose file no longer matches the stored hash.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
REFERENCE = REPO_ROOT / "tests" / "data" / "shipped_outputs.npz"
SAMPLES = 8


def fixed_inputs(name: str) -> list[np.ndarray]:
    """The inputs ``name``'s model is checked on: ``SAMPLES`` of each of its inputs, always the same."""
    rng = np.random.default_rng(0)
    if name in ("fashion_classifier", "fashion_backbone"):  # raw pixels (N, 28, 28, 1)
        return [rng.uniform(0, 255, (SAMPLES, 28, 28, 1)).astype(np.float32)]
    if name == "fashion_generator":  # latent codes (N, 64)
        return [rng.standard_normal((SAMPLES, 64)).astype(np.float32)]
    if name == "fashion_diffusion":  # noisy images (N, 28, 28, 1), time steps (N,), labels (N,) with one "no class"
        from helpers.diffusion import NO_CLASS, TIMESTEPS

        labels = np.append(np.arange(SAMPLES - 1), NO_CLASS).astype(np.int32)
        steps = np.linspace(0, TIMESTEPS - 1, SAMPLES).astype(np.int32)
        return [rng.standard_normal((SAMPLES, 28, 28, 1)).astype(np.float32), steps, labels]
    raise ValueError(f"name: expected one of {sorted(loaders())}, got {name!r}")


def loaders() -> dict[str, tuple[Callable, Path]]:
    """Each shipped model's name -> (its loader in ``helpers``, its file)."""
    from helpers import diffusion, gan, models, transfer

    return {
        "fashion_classifier": (models.load_pretrained_classifier, models.CLASSIFIER_PATH),
        "fashion_generator": (gan.load_pretrained_generator, gan.GENERATOR_PATH),
        "fashion_diffusion": (diffusion.load_pretrained, diffusion.MODEL_PATH),
        "fashion_backbone": (lambda: transfer.load_backbone(with_head=True), transfer.BACKBONE_PATH),
    }


def outputs(model, name: str) -> np.ndarray:
    """``model``'s outputs on :func:`fixed_inputs`, in inference mode."""
    inputs = fixed_inputs(name)
    return np.asarray(model(inputs if len(inputs) > 1 else inputs[0], training=False))


def write(reference: dict[str, np.ndarray], path: Path = REFERENCE) -> Path:
    """Store ``{name: outputs}`` with each model's current SHA-256 and the Keras that computed them, atomically."""
    from helpers.environment import keras
    from helpers.files import atomic_write, file_digest

    arrays = {"keras": np.array(keras.__version__)}
    for name, values in reference.items():
        arrays[f"{name}/outputs"] = values
        arrays[f"{name}/sha256"] = np.array(file_digest(loaders()[name][1]))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, buffer.getvalue())


def main() -> int:
    reference = {name: outputs(load(), name) for name, (load, _) in loaders().items()}
    print(f"wrote {write(reference)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
