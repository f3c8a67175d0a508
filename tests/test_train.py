import json

import numpy as np
import pytest

from helpers import data, diffusion, environment, files, gan, models, train, transfer
from helpers.classifier_training import CLASSIFIER_CONFIG
from tests.conftest import need_fashion_mnist


@pytest.fixture(scope="module")
def tiny_trained(tmp_path_factory):
    need_fashion_mnist()
    model, record = train.train_classifier(epochs=1, verbose=0, limit=300)
    path = tmp_path_factory.mktemp("pretrained") / "classifier.weights.h5"
    meta = train.save_model(model, path, CLASSIFIER_CONFIG, record)
    return model, path, meta


def shipped_record(path) -> dict:
    return files.read_record(path, fix="")


def test_training_records_what_it_did(tiny_trained):
    _, path, meta = tiny_trained
    assert meta["epochs"] == 1 and meta["train_seconds"] > 0
    assert set(meta) == set(shipped_record(models.CLASSIFIER_PATH)), "the shipped record is one this command writes"
    _, (x_test, y_test) = data.load_fashion_mnist()
    x_test, y_test = data.stratified_subset(x_test, y_test, n=60, seed=0)  # the test images train_classifier used
    predicted = models.load_pretrained_classifier(path).predict(x_test[..., None], verbose=0).argmax(axis=1)
    assert meta["test_accuracy"] == round(float((predicted == y_test).mean()), 4), "the record's accuracy is measured"
    assert json.loads(files.record_path(path).read_text()) == meta
    assert meta["sha256"] == files.file_digest(path) and meta["bytes"] == path.stat().st_size


def test_saved_classifier_reloads_and_predicts_the_same(tiny_trained):
    model, path, _ = tiny_trained
    reloaded = models.load_pretrained_classifier(path)
    images = np.random.default_rng(0).uniform(0, 255, (4, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(reloaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-5)
    assert reloaded.output_shape == (None, 10) and reloaded.name == model.name == "fashion_classifier"


def test_a_corrupt_classifier_is_refused_before_loading(tiny_trained, tmp_path):
    _, path, _ = tiny_trained
    broken = tmp_path / path.name
    broken.write_bytes(path.read_bytes()[:-10])
    files.record_path(broken).write_text(files.record_path(path).read_text())
    with pytest.raises(files.CorruptFileError, match="truncated .*python -m helpers.train classifier"):
        models.load_pretrained_classifier(broken)
    files.record_path(broken).unlink()
    with pytest.raises(FileNotFoundError, match="record of classifier.weights.h5 is missing"):
        models.load_pretrained_classifier(broken)


def test_generator_command_trains_resumes_and_ships_a_verified_generator(tmp_path, capsys):
    out, state = tmp_path / "generator.weights.h5", tmp_path / "state.npz"
    tiny = ["--width", "4", "--d-width", "2", "--latent-dim", "3", "--fid-samples", "50", "--checkpoint", str(state)]
    train.main(["generator", "--steps", "2", "--decay-steps", "0", "--out", str(out), *tiny])
    progress = json.loads(state.with_suffix(".progress.json").read_text())
    assert list(progress["fid"]) == ["1", "2"] and progress["seconds"] > 0  # a report every steps // 20, at least 1
    train.main(["generator", "--steps", "4", "--decay-steps", "0", "--out", str(out), *tiny])
    assert "resumed from" in capsys.readouterr().out
    record = json.loads(files.record_path(out).read_text())
    assert record["steps"] == 4 and record["training"]["steps"] == 4
    assert set(record["fid"]) == {"generator", "ema_generator"}
    assert len(record["class_shares"]) == 10 and record["config"] == {"latent_dim": 3, "width": 4}
    assert list(record["fid_during_training"]) == ["1", "2", "3", "4"]
    assert record["train_seconds"] >= progress["seconds"]
    assert set(record) == set(shipped_record(gan.GENERATOR_PATH)), "the shipped record is one this command writes"
    generator = gan.load_pretrained_generator(out)
    assert generator.input_shape == (None, 3) and generator.output_shape == (None, 28, 28, 1)
    with pytest.raises(ValueError, match=r"other settings \(learning_rate_decay: saved None, now \[4, 6\]\)"):
        train.main(["generator", "--steps", "6", "--decay-steps", "2", "--out", str(out), *tiny])


def test_command_line_refuses_a_decay_longer_than_the_run(capsys):
    with pytest.raises(SystemExit):
        train.main(["generator", "--steps", "10", "--decay-steps", "20"])
    assert "--decay-steps: expected 0 to --steps (10), got 20" in capsys.readouterr().err


def test_diffusion_command_trains_resumes_and_ships_a_model_with_its_sampler_defaults(tmp_path, capsys):
    need_fashion_mnist()
    out, state = tmp_path / "diffusion.weights.h5", tmp_path / "state.npz"
    tiny = ["--widths", "8", "8", "16", "--embedding-dim", "16", "--save-every", "1", "--report-every", "2",
            "--report-fid-samples", "20", "--fid-samples", "50", "--sample-steps", "2", "--guidance", "1.5",
            "--decay-steps", "0", "--checkpoint", str(state), "--out", str(out)]  # fmt: skip
    train.main(["diffusion", "--steps", "2", *tiny])
    progress = json.loads(state.with_suffix(".progress.json").read_text())
    assert list(progress["fid"]) == ["2"] and progress["seconds"] > 0
    assert state.with_suffix(".finite.npz").read_bytes() == state.read_bytes(), "a finite copy is kept"
    train.main(["diffusion", "--steps", "3", *tiny])
    assert "resumed from" in capsys.readouterr().out
    record = json.loads(files.record_path(out).read_text())
    assert record["steps"] == 3 and list(record["fid_during_training"]) == ["2", "3"]
    assert set(record["fid"]) == {"unet", "ema"} and len(record["class_accuracy"]) == len(record["class_shares"]) == 10
    assert record["train_seconds"] >= progress["seconds"]
    assert record["trained_on"] == [environment.machine_description()]
    assert set(record) == set(shipped_record(diffusion.MODEL_PATH)), "the shipped record is one this command writes"
    model = diffusion.load_pretrained(out)
    assert model.sampling_defaults == {"steps": 2, "guidance": 1.5}
    assert diffusion.sample(model, 2, labels=np.array([3, 4])).shape == (2, 28, 28, 1)


def test_backbone_command_trains_resumes_and_ships_a_backbone_with_its_base_accuracy(tmp_path, capsys):
    need_fashion_mnist()
    out, state = tmp_path / "backbone.weights.h5", tmp_path / "state.npz"
    tiny = [
        "--filters",
        "4",
        "8",
        "--save-every",
        "2",
        "--decay-steps",
        "0",
        "--checkpoint",
        str(state),
        "--out",
        str(out),
    ]
    train.main(["backbone", "--steps", "2", *tiny])
    train.main(["backbone", "--steps", "4", *tiny])
    assert "resumed from" in capsys.readouterr().out
    record = json.loads(files.record_path(out).read_text())
    assert record["steps"] == 4 and record["config"] == {"filters": [4, 8]} and 0 <= record["base_test_accuracy"] <= 1
    assert record["classes"] == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"]
    assert set(record) == set(shipped_record(transfer.BACKBONE_PATH)), "the shipped record is one this command writes"
    assert transfer.load_backbone(out).output_shape == (None, 8)


@pytest.mark.parametrize("model", ["classifier", "generator", "diffusion", "backbone"])
def test_each_command_remakes_what_ships_by_default(model):
    args = vars(train.build_parser().parse_args([model]))
    path = {"classifier": models.CLASSIFIER_PATH, "generator": gan.GENERATOR_PATH, "diffusion": diffusion.MODEL_PATH,
            "backbone": transfer.BACKBONE_PATH}  # fmt: skip
    record = shipped_record(path[model])
    assert args.pop("out") == path[model]
    if model == "classifier":
        assert args["epochs"] == record["epochs"] and record["config"] == CLASSIFIER_CONFIG
        return
    args.pop("model"), args.pop("checkpoint")
    settings = {**record["training"], **record["config"]}
    assert args == settings, f"python -m helpers.train {model}'s defaults are not the shipped model's settings"


def test_the_finite_loss_guard_passes_a_chunk_stopped_before_its_first_step_and_stops_a_blow_up(tmp_path):
    train.check_finite([], step=0, backup=None)  # interrupted at once: no loss logged yet
    train.check_finite([0.5, 0.25], step=2, backup=None)
    with pytest.raises(FloatingPointError, match=r"loss nan at step 3: the last finite state is in .*finite.npz"):
        train.check_finite([0.5, float("nan")], step=3, backup=tmp_path / "state.finite.npz")
