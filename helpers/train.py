"""The maintainers' command line: train the models this repository ships, reproducibly, each with its
JSON record.

    python -m helpers.train classifier   # data/pretrained/fashion_classifier.weights.h5 (lesson 03 on)
    python -m helpers.train generator    # data/pretrained/fashion_generator.weights.h5 (lesson 06)
    python -m helpers.train diffusion    # data/pretrained/fashion_diffusion.weights.h5 (lesson 07)
    python -m helpers.train backbone     # data/pretrained/fashion_backbone.weights.h5 (lesson 05, transfer)

Each command's defaults are the shipped model's settings, so the command alone remakes it.
``data/README.md`` says how each shipped file was made and how long it took. The generator's,
the diffusion model's and the backbone's training is resumable: with ``--checkpoint FILE`` an interrupted run continues
where it stopped, and a progress file beside the checkpoint adds up the training time of every run.
The lessons' own training code is in :mod:`helpers.classifier_training`, :mod:`helpers.gan_training`,
:mod:`helpers.diffusion_training` and :mod:`helpers.backbone_training`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import data, models
from .classifier_training import CLASSIFIER_CONFIG, compile_classifier, cosine_schedule, fashion_splits
from .environment import keras, machine_description, seed_everything, tf
from .files import WEIGHTS_SUFFIX, atomic_write, write_record

CLASSIFIER_PATH = models.CLASSIFIER_PATH
NOT_TRAINING_SETTINGS = ("model", "out", "checkpoint")  # arguments that say where, not how


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
    kept = {key: record.get(key, value) for key, value in made.items()}
    return write_record(path, blob, {**record, "config": config, **kept})


class Progress:
    """What a resumable run and the runs it resumed have done: training seconds, machines, FID by step.

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
        self.devices: list[str] = sorted({*saved.get("devices", []), machine_description()})

    def save(self) -> None:
        if self.path:
            saved = {"seconds": self.seconds, "devices": self.devices, "fid": self.fid}
            atomic_write(self.path, json.dumps(saved, indent=1).encode())

    def record(self) -> dict:
        """The record's fields that add up every run: ``train_seconds``, ``trained_on`` and, for a generator,
        ``fid_during_training``."""
        record = {"train_seconds": round(self.seconds, 1), "trained_on": self.devices}
        return {**record, "fid_during_training": self.fid} if self.fid else record


def resume(training, checkpoint: Path | None) -> Progress:
    """Restore ``training`` from ``checkpoint`` when there is one, and the progress of the runs behind it."""
    if checkpoint and checkpoint.exists():
        training.restore(checkpoint)
        print(f"resumed from {checkpoint} at step {training.step}")
    return Progress(checkpoint)


def train_in_chunks(
    training, data, args: argparse.Namespace, every: int, monitor, after_chunk: Callable[[Progress], None]
) -> Progress | None:
    """Train ``training`` (a :class:`helpers.loop.ResumableTraining`) to ``args.steps`` in chunks that end
    at multiples of ``every``, saving the checkpoint and the progress after each.

    ``after_chunk(progress)`` runs after each chunk, before the progress is saved. Returns the progress
    of every run, or ``None`` when interrupted: the checkpoint holds the state, and the same command
    resumes it.
    """
    progress = resume(training, args.checkpoint)
    while training.step < args.steps:
        end = min(args.steps, (training.step // every + 1) * every)
        start = time.perf_counter()
        training.train(data, steps=end - training.step, monitor=monitor, checkpoint=args.checkpoint)
        progress.seconds += time.perf_counter() - start
        after_chunk(progress)
        progress.save()
        if training.step < end:
            return None
    return progress


def training_record(training, progress: Progress, args: argparse.Namespace, config: dict, **scores) -> dict:
    """The record of a resumable run: steps, time, machines, the settings (not the architecture) and scores."""
    settings = {k: v for k, v in vars(args).items() if k not in (*NOT_TRAINING_SETTINGS, *config)}
    return {"steps": training.step, **progress.record(), "training": settings, **scores}


def ship_best(
    training,
    progress: Progress,
    args: argparse.Namespace,
    config: dict,
    finalists: dict[str, keras.Model],
    score: Callable[[keras.Model], dict],
    build: Callable[..., keras.Model],
    keep: tuple[str, ...],
    **described,
) -> dict:
    """Score each finalist (the network and its moving average) with ``score``, save the one with the
    lower FID to ``args.out`` with the run's record, and return the record.

    The record holds ``described``, both FIDs, which was shipped, and the shipped one's scores named in
    ``keep`` (rounded to 4 decimals, milliseconds to 2).
    """
    scores = {name: score(model) for name, model in finalists.items()}
    best = min(scores, key=lambda name: scores[name]["fid"])
    kept = {key: _rounded(scores[best][key], 2 if key.startswith("ms_") else 4) for key in keep}
    fids = {name: round(s["fid"], 2) for name, s in scores.items()}
    record = training_record(training, progress, args, config, **described, fid=fids, shipped=best, **kept)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    return save_model(finalists[best], args.out, config, record, build=build)


def _rounded(value, digits: int):
    return [round(v, digits) for v in value] if isinstance(value, list) else round(value, digits)


def train_generator(args: argparse.Namespace) -> dict | None:
    """Train lesson 06's generator as ``args`` say (see :func:`main`), save it with its record, return the record.

    Resumable like :func:`train_diffusion`: the checkpoint and the progress file are written at every
    FID report. Returns ``None`` when interrupted before the end.
    """
    from . import gan, metrics
    from .environment import setup
    from .gan_training import GanTraining
    from .live import GanMonitor
    from .pixels import from_pixels

    setup(args.seed)
    (x_train, _), (x_test, _) = data.load_fashion_mnist()
    config = {"latent_dim": args.latent_dim, "width": args.width}
    training = GanTraining(
        gan.build_generator(**config), gan.build_discriminator(args.d_width), real_label=args.real_label, **_loop(args)
    )
    real_features = metrics.classifier_features(x_test[: args.fid_samples, ..., None])
    codes = np.random.default_rng(1).standard_normal((64, args.latent_dim))
    report_every = max(1, args.steps // 20)
    fid = lambda g: round(gan.evaluate(g, real_features)["fid"], 2)  # noqa: E731
    monitor = GanMonitor(report_every, codes, fid=fid, notebook=False)

    def record_fid(progress: Progress) -> None:
        if monitor.history["step"] and monitor.history["step"][-1] == training.step:  # none if stopped at once
            progress.fid[str(training.step)] = monitor.history["fid"][-1]

    progress = train_in_chunks(training, from_pixels(x_train[..., None]), args, report_every, monitor, record_fid)
    if progress is None:
        return None
    finalists = {"generator": training.generator, "ema_generator": training.sampling_model}
    return ship_best(
        training, progress, args, config, finalists, lambda model: gan.evaluate(model, real_features),
        gan.build_generator, keep=("class_shares", "mean_confidence"),
        fid_against=f"{len(real_features)} test images, as many samples",
    )  # fmt: skip


def train_diffusion(args: argparse.Namespace) -> dict | None:
    """Train lesson 07's diffusion model as ``args`` say (see :func:`main`); save it with its record.

    Resumable: every ``--save-every`` steps the whole state goes to ``--checkpoint``, and the run's
    progress (training seconds, machines, FID so far) to a JSON file beside it, so the record adds up
    every run that built the model. Returns the record, or ``None`` when interrupted before the end.
    """
    from . import diffusion
    from .diffusion_training import DiffusionTraining
    from .environment import setup
    from .files import atomic_copy
    from .live import DiffusionMonitor
    from .metrics import classifier_features
    from .pixels import from_pixels

    setup(args.seed)
    (x_train, y_train), (x_test, _) = data.load_fashion_mnist()
    config = {"widths": list(args.widths), "embedding_dim": args.embedding_dim}
    training = DiffusionTraining(diffusion.build_unet(**config), label_dropout=args.label_dropout, **_loop(args))
    backup = args.checkpoint.with_suffix(".finite.npz") if args.checkpoint else None
    real_features = classifier_features(x_test[: args.fid_samples, ..., None])
    sampling = {"steps": args.sample_steps, "guidance": args.guidance}

    def score(model: keras.Model, n: int) -> dict:
        return diffusion.evaluate(model, real_features[:n], n, **sampling)

    monitor = DiffusionMonitor(args.save_every, np.arange(10), notebook=False)

    def after_chunk(progress: Progress) -> None:
        if training.step % args.report_every == 0 or training.step == args.steps:
            fid = round(score(training.sampling_model, args.report_fid_samples)["fid"], 2)
            progress.fid[str(training.step)] = fid
            print(f"step {training.step}: FID {fid} with {args.report_fid_samples} samples", flush=True)
        check_finite(monitor.history["loss"], training.step, backup)
        if args.checkpoint:
            atomic_copy(args.checkpoint, backup)  # a state known to be finite, should a later step blow up

    train_data = (from_pixels(x_train[..., None]), y_train.astype(np.int32))
    progress = train_in_chunks(training, train_data, args, args.save_every, monitor, after_chunk)
    if progress is None:
        return None
    finalists = {"unet": training.model, "ema": training.sampling_model}
    return ship_best(
        training, progress, args, config, finalists, lambda model: score(model, args.fid_samples),
        diffusion.build_unet, keep=("class_accuracy", "class_shares", "spread", "ms_per_sample"),
        sampler={**sampling, "method": "DDIM, eta 0, classifier-free guidance"},
        fid_against=f"{len(real_features)} test images, as many samples, an equal share of each class",
    )  # fmt: skip


class _PrintedMonitor:
    """Prints the mean logs every ``every`` steps and keeps them in ``history`` (for :func:`check_finite`)."""

    def __init__(self, every: int) -> None:
        self.every, self.history = every, {"step": [], "loss": []}

    def update(self, training, logs: dict[str, float]) -> None:
        self.history["step"].append(training.step)
        self.history["loss"].append(logs["loss"])
        print(f"step {training.step}: " + ", ".join(f"{k} {v:.4f}" for k, v in logs.items()), flush=True)


def train_backbone(args: argparse.Namespace) -> dict | None:
    """Train the transfer lesson's backbone on the five base classes' 30,000 training images, as ``args``
    say; save it with its five-class head and its record (test accuracy on the 5,000 base-class test
    images). Resumable like :func:`train_diffusion`. Returns ``None`` when interrupted before the end."""
    from . import transfer
    from .backbone_training import BackboneTraining
    from .environment import setup

    setup(args.seed)
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    train_data = transfer.select_classes(x_train[..., None], y_train, transfer.BASE_CLASSES)
    x_test, y_test = transfer.select_classes(x_test[..., None], y_test, transfer.BASE_CLASSES)
    config = {"filters": list(args.filters)}
    decay = (args.steps - args.decay_steps, args.steps) if args.decay_steps else None
    training = BackboneTraining(transfer.build_pretraining_model(**config), args.learning_rate, args.batch_size,
                                learning_rate_decay=decay, seed=args.seed)  # fmt: skip
    monitor = _PrintedMonitor(args.save_every)

    def after_chunk(progress: Progress) -> None:
        check_finite(monitor.history["loss"], training.step, None)

    progress = train_in_chunks(training, train_data, args, args.save_every, monitor, after_chunk)
    if progress is None:
        return None
    accuracy = transfer.accuracy(training.model, x_test.astype(np.float32), y_test)
    names = [data.FASHION_CLASSES[c] for c in transfer.BASE_CLASSES]
    record = training_record(training, progress, args, config, classes=names, base_test_accuracy=round(accuracy, 4))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    return save_model(training.model, args.out, config, record, build=transfer.build_pretraining_model)


def check_finite(losses: list[float], step: int, backup: Path | None) -> None:
    """Raise FloatingPointError when the latest mean loss is not finite; a run stopped before its first
    step has none yet, and passes."""
    if losses and not np.isfinite(losses[-1]):
        advice = (f"the last finite state is in {backup}; lower --learning-rate and train from it" if backup
                  else "delete the checkpoint, lower --learning-rate and train again")  # fmt: skip
        raise FloatingPointError(f"loss {losses[-1]} at step {step}: {advice}")


def build_parser() -> argparse.ArgumentParser:
    """The command line; each model's defaults are its shipped settings (``tests/test_train.py`` checks them)."""
    from .gan import GENERATOR_PATH

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="model", required=True)
    classifier = commands.add_parser("classifier", help="the Fashion-MNIST classifier of lesson 03 and later")
    classifier.add_argument("--epochs", type=int, default=15)
    classifier.add_argument("--out", type=Path, default=CLASSIFIER_PATH)
    generator = commands.add_parser("generator", help="lesson 06's pretrained GAN generator (resumable)")
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
    _add_backbone_parser(commands)
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
    trainers = {"diffusion": train_diffusion, "generator": train_generator, "backbone": train_backbone}
    record = trainers[args.model](args)
    print(json.dumps(record, indent=2) if record else "stopped early: run the same command to resume")


def _loop(args: argparse.Namespace) -> dict:
    """The resumable loop's settings from the command line; the learning rate falls linearly to 0 over
    the last ``--decay-steps`` of ``--steps``."""
    decay = (args.steps - args.decay_steps, args.steps) if args.decay_steps else None
    return {"learning_rate": args.learning_rate, "batch_size": args.batch_size, "ema_decay": args.ema_decay,
            "learning_rate_decay": decay, "seed": args.seed}  # fmt: skip


def _check_steps(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.steps < 1:
        parser.error(f"--steps: expected >= 1, got {args.steps}")
    if not 0 <= args.decay_steps <= args.steps:
        parser.error(f"--decay-steps: expected 0 to --steps ({args.steps}), got {args.decay_steps}")


def _add_diffusion_parser(commands) -> None:
    from .diffusion import MODEL_PATH

    diffusion = commands.add_parser("diffusion", help="lesson 07's class-conditional diffusion model (resumable)")
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


def _add_backbone_parser(commands) -> None:
    from .transfer import BACKBONE_CONFIG, BACKBONE_PATH

    backbone = commands.add_parser("backbone", help="lesson 05's five-class backbone for transfer (resumable)")
    backbone.add_argument("--steps", type=int, default=6_000, help="total steps, counting resumed ones")
    backbone.add_argument(
        "--filters", type=int, nargs="+", default=BACKBONE_CONFIG["filters"], help="channels per block"
    )
    backbone.add_argument("--batch-size", type=int, default=64)
    backbone.add_argument("--learning-rate", type=float, default=2e-3)
    backbone.add_argument("--decay-steps", type=int, default=6_000, help="learning rate to 0 over the last N steps")
    backbone.add_argument("--seed", type=int, default=0)
    backbone.add_argument("--save-every", type=int, default=500, help="steps between checkpoints")
    backbone.add_argument("--checkpoint", type=Path, help="save progress here; resume from it")
    backbone.add_argument("--out", type=Path, default=BACKBONE_PATH)


if __name__ == "__main__":
    main()
