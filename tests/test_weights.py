import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import files, models, weights
from helpers.environment import keras


@pytest.fixture
def fake_spec(tmp_path):
    """A small stand-in for the 553 MB file, with its own size and md5."""
    good = tmp_path / "download.h5"
    good.write_bytes(b"pretend these are weights" * 100)
    spec = weights.WeightsFile(
        "vgg_test.h5", good.stat().st_size, hashlib.md5(good.read_bytes()).hexdigest(), "https://x"
    )
    return good, spec


def test_install_checks_and_copies_into_the_cache(fake_spec, tmp_path):
    good, spec = fake_spec
    cache = tmp_path / "keras" / "models"
    target = weights.install(good, spec, cache_dir=cache)
    assert target == cache / "vgg_test.h5" and target.read_bytes() == good.read_bytes()
    assert [p.name for p in cache.iterdir()] == ["vgg_test.h5"], "no temporary file left behind"


def test_truncated_file_is_rejected_and_nothing_written(fake_spec, tmp_path):
    good, spec = fake_spec
    short = tmp_path / "short.h5"
    short.write_bytes(good.read_bytes()[:-1])
    cache = tmp_path / "cache"
    with pytest.raises(files.CorruptFileError, match=r"short.h5: 2,499 bytes, expected 2,500: truncated"):
        weights.install(short, spec, cache_dir=cache)
    assert not cache.exists()


def test_same_size_wrong_content_is_rejected_by_md5(fake_spec, tmp_path):
    good, spec = fake_spec
    forged = tmp_path / "forged.h5"
    forged.write_bytes(b"x" * spec.size)
    with pytest.raises(files.CorruptFileError, match="md5 mismatch .*: the file is corrupt"):
        weights.verify_weights(forged, spec)


def test_cli_reports_a_bad_file_and_exits_nonzero(tmp_path, capsys, keras_home):
    bad = tmp_path / "vgg16.h5"
    bad.write_bytes(b"<html>404</html>")
    assert weights.main(["install", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "Not installed" in err and "553,467,096" in err and "Nothing was written" in err
    assert list(keras_home.iterdir()) == []


def test_find_weights_order(fake_spec, tmp_path, monkeypatch, keras_home):
    good, spec = fake_spec
    monkeypatch.delenv(weights.ENV_VAR, raising=False)
    assert weights.find_weights(spec) is None
    weights.install(good, spec)
    assert weights.find_weights(spec) == keras_home / "models" / "vgg_test.h5"
    monkeypatch.setenv(weights.ENV_VAR, str(good))
    assert weights.find_weights(spec) == good  # the variable wins over the cache
    monkeypatch.setenv(weights.ENV_VAR, str(tmp_path / "missing.h5"))
    with pytest.raises(FileNotFoundError, match="missing.h5: not found"):
        weights.find_weights(spec)


def test_a_corrupt_cached_copy_is_ignored(fake_spec, monkeypatch, keras_home):
    _, spec = fake_spec
    monkeypatch.delenv(weights.ENV_VAR, raising=False)
    (keras_home / "models").mkdir()
    (keras_home / "models" / spec.name).write_bytes(b"partial")
    assert weights.find_weights(spec) is None


def test_instructions_name_the_file_its_size_md5_and_the_install_command():
    text = weights.how_to_get()
    for needed in ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "553,467,096", weights.VGG16_IMAGENET.md5,
                   "python -m helpers.weights install", "COURSE_VGG16_WEIGHTS"):  # fmt: skip
        assert needed in text


def write_keras2_weights_file(model: keras.Model, path: Path) -> None:
    """Write ``model``'s weights in the Keras 2 layout of the published VGG16 file: a root attribute
    ``layer_names``, then one group per layer whose ``weight_names`` attribute lists its datasets."""
    import h5py

    with h5py.File(path, "w") as file:
        file.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            group = file.create_group(layer.name)
            names = [f"{layer.name}_{kind}_1:0" for kind in "Wb"[: len(layer.weights)]]
            group.attrs["weight_names"] = [name.encode() for name in names]
            for name, weight in zip(names, layer.get_weights()):
                group[name] = weight


def tiny_vgg(seed: int):
    keras.utils.set_random_seed(seed)
    return models.build_vgg([4, "M"], input_shape=(8, 8, 1), classes=3, dense_units=5)


def test_load_keras2_weights_copies_every_weight_in_slices(tmp_path):
    source, target = tiny_vgg(0), tiny_vgg(1)
    write_keras2_weights_file(source, tmp_path / "tiny.h5")
    weights.load_keras2_weights(target, tmp_path / "tiny.h5", rows_per_read=2)  # fc1's 64 rows: 32 slices
    for ours, theirs in zip(target.weights, source.weights):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_load_keras2_weights_rejects_a_file_for_another_network(tmp_path):
    write_keras2_weights_file(models.build_vgg([6, "M"], input_shape=(8, 8, 1), classes=3, dense_units=5),
                              tmp_path / "other.h5")  # fmt: skip
    with pytest.raises(files.CorruptFileError, match=r"layer 'block1_conv1' has weights of shapes \[\(3, 3, 1, 6\)"):
        weights.load_keras2_weights(tiny_vgg(0), tmp_path / "other.h5")
    only_dense = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="fc1")])
    write_keras2_weights_file(only_dense, tmp_path / "dense.h5")
    with pytest.raises(files.CorruptFileError, match="no weights for layer 'block1_conv1'"):
        weights.load_keras2_weights(tiny_vgg(0), tmp_path / "dense.h5")


def test_cli_installs_a_good_file(fake_spec, monkeypatch, capsys, keras_home):
    good, spec = fake_spec
    monkeypatch.setattr(weights, "VGG16_IMAGENET", spec)
    assert weights.main(["install", str(good)]) == 0
    assert "Installed" in capsys.readouterr().out
    assert (keras_home / "models" / spec.name).read_bytes() == good.read_bytes()


def test_the_weights_command_line_works_without_tensorflow(keras_home):
    script = (
        "import sys; sys.modules['tensorflow'] = sys.modules['keras'] = None\n"  # as if neither were installed
        "from helpers import weights\n"
        "sys.exit(weights.main(['status']))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 1, run.stderr  # 1: no weights on this machine, said in words
    assert f"Keras cache: {keras_home / 'models'}" in run.stdout and "python -m helpers.weights install" in run.stdout


def test_a_bug_in_the_download_code_surfaces_instead_of_random_weights(monkeypatch, keras_home):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.delenv("COURSE_VGG16_WEIGHTS", raising=False)

    def buggy(spec):
        return spec.nmae  # a typo in our own code

    monkeypatch.setattr(weights, "download", buggy)
    with pytest.raises(AttributeError, match="nmae"):
        weights.get_weights()


@pytest.mark.parametrize(
    "err, unavailable",
    [
        (OSError("Name or service not known"), True),
        (Exception("URL fetch failure on https://x: None -- [Errno -2] Name or service not known"), True),
        (ValueError("Incomplete or corrupted file detected. The md5 file hash does not match"), True),
        (files.CorruptFileError("truncated"), True),
        (ValueError("could not broadcast input array"), False),
        (TypeError("unexpected keyword argument 'cache_dir'"), False),
        (Exception("something else"), False),
    ],
)
def test_only_a_missing_network_or_file_counts_as_unavailable(err, unavailable):
    assert weights._is_unavailable(err) is unavailable


def test_a_successful_download_is_checked_and_moved_into_the_cache(keras_home, tmp_path):
    served = tmp_path / "served.h5"
    served.write_bytes(b"weights" * 1000)
    spec = weights.WeightsFile(
        name="tiny.h5", size=7000, md5=hashlib.md5(served.read_bytes()).hexdigest(), url=served.as_uri()
    )
    path = weights.download(spec)
    assert path == weights.keras_models_dir() / "tiny.h5" and path.read_bytes() == served.read_bytes()
    assert [p.name for p in path.parent.iterdir()] == ["tiny.h5"], "the staging folder is gone"
