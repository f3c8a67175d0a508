"""Train the models this repository ships, reproducibly, each with its JSON record.

    python -m helpers.train classifier   # data/pretrained/fashion_classifier.weights.h5 (lesson 03 on)
    python -m helpers.train generator    # data/pretrained/fashion_generator.weights.h5 (lesson 05)
    python -m helpers.train diffusion    # data/pretrained/fashion_diffusion.weights.h5 (lesson 06)

Each command's defaults are the shipped model's settings, so the command alone remakes it.
``data/README.md`` says how each shipped file was made and how long it took. The generator's and
the diffusion model's training is resumable: with ``--checkpoint FILE`` an interrupted run continues
where it stopped, and a progress file beside the checkpoint adds up the training time of every run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from . import data, models
from .environment import device_name, keras, seed_everything, tf
from .files import WEIGHTS_SUFFIX, atomic_write, write_record

CLASSIFIER_PATH = models.CLASSIFIER_PATH
# Two 3x3 convolutions per block see 5x5 regions with fewer weights than one 5x5 (lesson 04).
CLASSIFIER_CONFIG = {"filters": [32, 64], "convs_per_block": 2, "dense_units": 128, "dropout": 0.3}


def split_validation(
    x: np.ndarray, y: np.ndarray, n_val: int, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Carve a stratified validation set of ``n_val`` samples out of a training set.

    Returns:
        ``((x_train, y_train), (x_val, y_val))``, disjoint, together all of ``x``.
    """
    if len(x) != len(y):
        raise ValueError(f"x, y: expected the same number of samples, got {len(x)} and {len(y)}")
    if not 0 < n_val < len(y):
        raise ValueError(f"n_val: expected 0 < n_val < {len(y)}, got {n_val}")
    order = np.arange(len(y))
    val_idx, _ = data.stratified_subset(order, y, n=n_val, seed=seed)
    train_mask = np.ones(len(y), dtype=bool)
    train_mask[val_idx] = False
    return (x[train_mask], y[train_mask]), (x[val_idx], y[val_idx])


def fashion_splits(
    n_train: int = 60_000, n_val: int = 5_000, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST as the course trains on it: a stratified subset of ``n_train`` training images (all
    60,000 by default), ``n_val`` of them held out for validation, and the test set.

    Returns:
        ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``; images uint8 (N, 28, 28, 1) with raw
        values 0..255, which the course's models rescale themselves; labels uint8 (N,).
    """
    (x_all, y_all), (x_test, y_test) = data.load_fashion_mnist()
    if n_train < len(y_all):
        x_all, y_all = data.stratified_subset(x_all, y_all, n=n_train, seed=seed)
    train_split, val_split = split_validation(x_all[..., None], y_all, n_val=n_val, seed=seed)
    return train_split, val_split, (x_test[..., None], y_test)


def cosine_schedule(
    learning_rate: float, epochs: int, n_train: int, batch_size: int = 128
) -> keras.optimizers.schedules.CosineDecay:
    """A learning rate that falls from ``learning_rate`` to 0 along a cosine over the whole training run."""
    if epochs < 1 or n_train < 1 or batch_size < 1:
        raise ValueError(f"epochs, n_train, batch_size: expected >= 1 each, got {epochs}, {n_train}, {batch_size}")
    return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs * -(-n_train // batch_size))


def compile_classifier(model: keras.Model, learning_rate: float | keras.optimizers.schedules.LearningRateSchedule):
    """Adam, cross-entropy on logits, accuracy: the course's classifier training setup."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def train_classifier(
    epochs: int = 15, seed: int = 0, batch_size: int = 128, verbose: int = 2, limit: int | None = None
) -> tuple[keras.Model, dict]:
    """Train the shipped classifier on 55,000 training images (5,000 held out for validation).

    Args:
        limit: train on a stratified subset of this many images (for quick tests), 10% held out.

    Returns:
        The model and a record: epochs, seconds, validation and test accuracy.
    """
    seed_everything(seed)
    n_train = 60_000 if limit is None else limit
    n_val = 5000 if limit is None else max(10, limit // 10)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = fashion_splits(n_train, n_val, seed=seed)
    if limit is not None:
        x_test, y_test = data.stratified_subset(x_test, y_test, n=max(10, limit // 5), seed=seed)
    model = models.build_classifier(**CLASSIFIER_CONFIG)
    compile_classifier(model, cosine_schedule(2e-3, epochs, len(y_train), batch_size))
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=(x_val, y_val), verbose=verbose)
    seconds = time.perf_counter() - start
    record = {
        "epochs": epochs,
        "seed": seed,
        "train_seconds": round(seconds, 1),
        "val_accuracy": round(float(model.evaluate(x_val, y_val, verbose=0)[1]), 4),
        "test_accuracy": round(float(model.evaluate(x_test, y_test, verbose=0)[1]), 4),
    }
    return model, record


def save_model(model: keras.Model, path: Path, config: dict, record: dict, build=models.build_classifier) -> dict:
    """Save the weights (no optimizer state) atomically to ``path``, with a JSON record holding ``config``
    and the file's SHA-256: :func:`helpers.models.load_recorded_model` reads the pair back.

    The weights go through a fresh ``build(**config)`` first, so a model that the record's ``config``
    does not describe fails here, not when a learner loads it.
    """
    if not Path(path).name.endswith(WEIGHTS_SUFFIX):
        raise ValueError(f"path: expected a file name ending in {WEIGHTS_SUFFIX}, got {Path(path).name!r}")
    fresh = build(**config)
    fresh.set_weights(model.get_weights())
    with tempfile.TemporaryDirectory(dir=path.parent) as staging:
        tmp = Path(staging) / f"model{WEIGHTS_SUFFIX}"  # Keras insists on the suffix
        fresh.save_weights(tmp)
        blob = tmp.read_bytes()
    made = {"tensorflow": tf.__version__, "keras": keras.__version__, "date": datetime.date.today().isoformat()}
    # A record that already says which versions trained it, and when, keeps that (a re-save changes neither).
    return write_record(path, blob, {**record, "config": config, **{k: record.get(k, v) for k, v in made.items()}})


class Progress:
    """What a resumable run and the runs it resumed have done: training seconds, devices, FID by step.

    Kept in ``CHECKPOINT.progress.json`` beside the checkpoint and read back only with it, so that a
    model trained in several runs has a record of all of them. Without a checkpoint it lives in memory.
    """

    def __init__(self, checkpoint: Path | None) -> None:
        self.path = checkpoint.with_suffix(".progress.json") if checkpoint else None
        saved = {}
        if checkpoint and checkpoint.exists() and self.path.exists():
            saved = json.loads(self.path.read_text())
        self.seconds: float = saved.get("seconds", 0.0)
        self.fid: dict[str, float] = saved.get("fid", {})
        self.devices: list[str] = sorted({*saved.get("devices", []), f"{device_name()}, {os.cpu_count()} CPU cores"})

    def save(self) -> None:
        if self.path:
            saved = {"seconds": self.seconds, "devices": self.devices, "fid": self.fid}
            atomic_write(self.path, json.dumps(saved, indent=1).encode())

    def record(self) -> dict:
        """The record's fields that add up every run: ``train_seconds``, ``trained_on``, ``fid_during_training``."""
        return {"train_seconds": round(self.seconds, 1), "trained_on": self.devices, "fid_during_training": self.fid}


def train_generator(args: argparse.Namespace) -> dict | None:
    """Train lesson 05's generator as ``args`` say (see :func:`main`), save it with its record, return the record.

    Resumable like :func:`train_diffusion`: the checkpoint and the progress file are written at every
    FID report. Returns ``None`` when interrupted before the end.
    """
    from . import gan, metrics
    from .environment import setup
    from .gan_training import GanTraining
    from .live import GanMonitor

    setup(args.seed)
    (x_train, _), (x_test, _) = data.load_fashion_mnist()
    config = {"latent_dim": args.latent_dim, "width": args.width}
    training = GanTraining(
        gan.build_generator(**config),
        gan.build_discriminator(args.d_width),
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        real_label=args.real_label,
        ema_decay=args.ema_decay,
        learning_rate_decay=_decay(args),
        seed=args.seed,
    )
    if args.checkpoint and args.checkpoint.exists():
        training.restore(args.checkpoint)
        print(f"resumed from {args.checkpoint} at step {training.step}")
    progress = Progress(args.checkpoint)
    real_features = metrics.classifier_features(x_test[: args.fid_samples, ..., None])

    def fid(generator: keras.Model) -> float:
        return round(gan.generator_fid(generator, real_features), 2)

    codes = np.random.default_rng(1).standard_normal((64, args.latent_dim))
    report_every = max(1, args.steps // 20)
    monitor = GanMonitor(report_every, codes, fid=fid, notebook=False)
    real = gan.from_pixels(x_train[..., None])
    while training.step < args.steps:
        end = min((training.step // report_every + 1) * report_every, args.steps)
        start = time.perf_counter()
        training.train(real, steps=end - training.step, monitor=monitor, checkpoint=args.checkpoint)
        progress.seconds += time.perf_counter() - start
        if monitor.history["step"] and monitor.history["step"][-1] == training.step:  # none if stopped at once
            progress.fid[str(training.step)] = monitor.history["fid"][-1]
        progress.save()
        if training.step < end:
            return None  # interrupted: the checkpoint holds the state, run the same command again
    scores = {"generator": fid(training.generator), "ema_generator": fid(training.sampler)}
    best = min(scores, key=scores.get)
    shipped = training.generator if best == "generator" else training.sampler
    shares, confidence = metrics.class_coverage(
        metrics.class_probabilities(gan.to_pixels(gan.sample(shipped, len(real_features))))
    )
    record = {
        "steps": training.step,
        **progress.record(),
        "training": {k: v for k, v in vars(args).items() if k not in ("model", "out", "checkpoint", *config)},
        "fid_against": f"{len(real_features)} test images, as many samples",
        "fid": scores,
        "shipped": best,
        "class_shares": [round(float(s), 4) for s in shares],
        "mean_confidence": round(confidence, 4),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    return save_model(shipped, args.out, config, record, build=gan.build_generator)


def train_diffusion(args: argparse.Namespace) -> dict | None:
    """Train lesson 06's diffusion model as ``args`` say (see :func:`main`); save it with its record.

    Resumable: every ``--save-every`` steps the whole state goes to ``--checkpoint``, and the run's
    progress (training seconds, devices, FID so far) to a JSON file beside it, so the record adds up
    every run that built the model. Returns the record, or ``None`` when interrupted before the end.
    """
    from . import diffusion
    from .diffusion_training import DiffusionTraining
    from .environment import setup
    from .files import atomic_copy
    from .gan import from_pixels
    from .live import DiffusionMonitor
    from .metrics import classifier_features

    setup(args.seed)
    (x_train, y_train), (x_test, _) = data.load_fashion_mnist()
    config = {"widths": list(args.widths), "embedding_dim": args.embedding_dim}
    training = DiffusionTraining(
        diffusion.build_unet(**config),
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        label_dropout=args.label_dropout,
        ema_decay=args.ema_decay,
        learning_rate_decay=_decay(args),
        seed=args.seed,
    )
    backup = args.checkpoint.with_suffix(".finite.npz") if args.checkpoint else None
    if args.checkpoint and args.checkpoint.exists():
        training.restore(args.checkpoint)
        print(f"resumed from {args.checkpoint} at step {training.step}")
    progress = Progress(args.checkpoint)
    real_features = classifier_features(x_test[: args.fid_samples, ..., None])
    sampler = {"steps": args.sample_steps, "guidance": args.guidance}

    def score(model: keras.Model, n: int) -> dict:
        return diffusion.evaluate(model, real_features[:n], n, **sampler)

    monitor = DiffusionMonitor(args.save_every, np.arange(10), notebook=False)
    images, labels = from_pixels(x_train[..., None]), y_train.astype(np.int32)
    while training.step < args.steps:
        end = min(args.steps, (training.step // args.save_every + 1) * args.save_every)
        start = time.perf_counter()
        training.train((images, labels), steps=end - training.step, monitor=monitor, checkpoint=args.checkpoint)
        progress.seconds += time.perf_counter() - start
        if training.step % args.report_every == 0 or training.step == args.steps:
            fid = round(score(training.sampler, args.report_fid_samples)["fid"], 2)
            progress.fid[str(training.step)] = fid
            print(f"step {training.step}: FID {fid} with {args.report_fid_samples} samples", flush=True)
        if not np.isfinite(monitor.history["loss"][-1]):
            raise FloatingPointError(f"loss {monitor.history['loss'][-1]} at step {training.step}: the last finite "
                                     f"state is in {backup}; lower --learning-rate and train from it")  # fmt: skip
        if args.checkpoint:
            atomic_copy(args.checkpoint, backup)  # a state known to be finite, should a later step blow up
        progress.save()
        if training.step < end:
            return None  # interrupted: the checkpoint holds the state, run the same command again
    finalists = {"unet": training.model, "ema": training.sampler}
    scores = {name: score(model, args.fid_samples) for name, model in finalists.items()}
    best = min(scores, key=lambda name: scores[name]["fid"])
    record = {
        "steps": training.step,
        **progress.record(),
        "training": {k: v for k, v in vars(args).items() if k not in ("model", "out", "checkpoint", *config)},
        "sampler": {**sampler, "method": "DDIM, eta 0, classifier-free guidance"},
        "fid_against": f"{len(real_features)} test images, as many samples, an equal share of each class",
        "fid": {name: round(s["fid"], 2) for name, s in scores.items()},
        "shipped": best,
        "class_accuracy": [round(a, 4) for a in scores[best]["class_accuracy"]],
        "class_shares": [round(a, 4) for a in scores[best]["class_shares"]],
        "spread": round(scores[best]["spread"], 4),
        "ms_per_sample": round(scores[best]["ms_per_sample"], 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    return save_model(finalists[best], args.out, config, record, build=diffusion.build_unet)


def build_parser() -> argparse.ArgumentParser:
    """The command line; each model's defaults are its shipped settings (``tests/test_train.py`` checks them)."""
    from .gan import GENERATOR_PATH

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="model", required=True)
    classifier = commands.add_parser("classifier", help="the Fashion-MNIST classifier of lesson 03 and later")
    classifier.add_argument("--epochs", type=int, default=15)
    classifier.add_argument("--out", type=Path, default=CLASSIFIER_PATH)
    generator = commands.add_parser("generator", help="lesson 05's pretrained GAN generator (resumable)")
    generator.add_argument("--steps", type=int, default=47_200, help="total steps, counting resumed ones")
    generator.add_argument("--width", type=int, default=256, help="generator width (channels of its 7x7 map)")
    generator.add_argument("--d-width", type=int, default=64, help="discriminator width")
    generator.add_argument("--latent-dim", type=int, default=64)
    generator.add_argument("--batch-size", type=int, default=64)
    generator.add_argument("--learning-rate", type=float, default=2e-4)
    generator.add_argument("--ema-decay", type=float, default=0.999)
    generator.add_argument(
        "--decay-steps", type=int, default=12_000, help="lower the learning rate to 0 over the last N steps"
    )
    generator.add_argument("--real-label", type=float, default=1.0)
    generator.add_argument("--seed", type=int, default=0)
    generator.add_argument("--fid-samples", type=int, default=10_000, help="test images and samples per FID")
    generator.add_argument("--checkpoint", type=Path, help="save progress here at every report; resume from it")
    generator.add_argument("--out", type=Path, default=GENERATOR_PATH)
    _add_diffusion_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.model == "classifier":
        if args.epochs < 1:
            parser.error(f"--epochs: expected >= 1, got {args.epochs}")
        model, record = train_classifier(epochs=args.epochs)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        print(json.dumps(save_model(model, args.out, CLASSIFIER_CONFIG, record), indent=2))
        return
    _check_steps(parser, args)
    if args.model == "diffusion" and args.report_every % args.save_every:
        parser.error(f"--report-every: expected a multiple of --save-every ({args.save_every})")
    record = train_diffusion(args) if args.model == "diffusion" else train_generator(args)
    print(json.dumps(record, indent=2) if record else "stopped early: run the same command to resume")


def _decay(args: argparse.Namespace) -> tuple[int, int] | None:
    """The learning rate falls linearly to 0 over the last ``--decay-steps`` of ``--steps``."""
    return (args.steps - args.decay_steps, args.steps) if args.decay_steps else None


def _check_steps(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.steps < 1:
        parser.error(f"--steps: expected >= 1, got {args.steps}")
    if not 0 <= args.decay_steps <= args.steps:
        parser.error(f"--decay-steps: expected 0 to --steps ({args.steps}), got {args.decay_steps}")


def _add_diffusion_parser(commands) -> None:
    from .diffusion import MODEL_PATH

    diffusion = commands.add_parser("diffusion", help="lesson 06's class-conditional diffusion model (resumable)")
    diffusion.add_argument("--steps", type=int, default=40_000, help="total steps, counting resumed ones")
    diffusion.add_argument("--widths", type=int, nargs=3, default=[16, 32, 64], help="U-Net channels at 28, 14, 7")
    diffusion.add_argument("--embedding-dim", type=int, default=128)
    diffusion.add_argument("--batch-size", type=int, default=64)
    diffusion.add_argument("--learning-rate", type=float, default=1e-3)
    diffusion.add_argument("--ema-decay", type=float, default=0.999)
    diffusion.add_argument("--decay-steps", type=int, default=10_000, help="learning rate to 0 over the last N steps")
    diffusion.add_argument("--label-dropout", type=float, default=0.1, help="share of labels hidden, for guidance")
    diffusion.add_argument("--sample-steps", type=int, default=20, help="the record's default DDIM steps")
    diffusion.add_argument("--guidance", type=float, default=2.0, help="the record's default guidance scale")
    diffusion.add_argument("--seed", type=int, default=0)
    diffusion.add_argument("--save-every", type=int, default=500, help="steps between checkpoints")
    diffusion.add_argument("--report-every", type=int, default=5_000, help="steps between FID reports")
    diffusion.add_argument("--report-fid-samples", type=int, default=1_000, help="samples per FID report")
    diffusion.add_argument("--fid-samples", type=int, default=10_000, help="test images and samples, final FID")
    diffusion.add_argument("--checkpoint", type=Path, help="save progress here; resume from it")
    diffusion.add_argument("--out", type=Path, default=MODEL_PATH)


if __name__ == "__main__":
    main()
