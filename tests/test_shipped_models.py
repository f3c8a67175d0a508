"""Every shipped model loads with the Keras this suite runs under and gives the outputs it gave when it was saved.

The pinned suite and the floor check (``tools/floor_check.sh``) both run this file, so each model is
proven to load, and to predict the same within 1e-4, on the oldest and the pinned Keras the course
supports. The reference outputs were computed with the pinned Keras (``tools/shipped_outputs.py``).
"""

import importlib.util

import numpy as np
import pytest

from helpers.files import WEIGHTS_SUFFIX, file_digest
from tests.notebook_utils import ROOT

_spec = importlib.util.spec_from_file_location("shipped_outputs", ROOT / "tools" / "shipped_outputs.py")
shipped_outputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shipped_outputs)
REFERENCE = dict(np.load(shipped_outputs.REFERENCE))
REWRITE = "run python tools/shipped_outputs.py with the pinned versions"


def test_every_shipped_model_has_reference_outputs():
    files = (ROOT / "data" / "pretrained").glob(f"*{WEIGHTS_SUFFIX}")
    shipped = sorted(path.name.removesuffix(WEIGHTS_SUFFIX) for path in files)
    assert sorted(shipped_outputs.loaders()) == shipped, "tools/shipped_outputs.py must know every shipped model"
    assert sorted({key.split("/")[0] for key in REFERENCE if "/" in key}) == shipped, REWRITE


@pytest.mark.parametrize("name", sorted(shipped_outputs.loaders()))
def test_a_shipped_model_gives_its_reference_outputs(name):
    load, path = shipped_outputs.loaders()[name]
    stale = f"{path.name} changed since its outputs were stored: {REWRITE}"
    assert file_digest(path) == str(REFERENCE[f"{name}/sha256"]), stale
    found = shipped_outputs.outputs(load(), name)
    np.testing.assert_allclose(found, REFERENCE[f"{name}/outputs"], rtol=0, atol=1e-4,
                               err_msg=f"{name} predicts differently from Keras {REFERENCE['keras']}")  # fmt: skip
