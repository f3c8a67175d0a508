"""Lesson 05's measurements: how much the shipped five-class backbone buys on the five classes it never saw,
against training from scratch, as the number of labelled images grows; and whether Grad-CAM's maps are
faithful to the model. Writes JSON.

    python -m benchmarks.transfer [--ks 1 5 20 100] [--seeds 0 1 2 3 4] [--steps 200] [--images 64] [--out FILE]

* Accuracy: for each k and seed, k training images per new class are drawn; each strategy of
  ``helpers.transfer.STRATEGIES`` trains on the same images for ``--steps`` batches and is tested on all
  5,000 test images of the new classes. Mean and standard deviation over the seeds, for training and test.
* Faithfulness, on the first ``--images`` base-class test images and the backbone with its own head (a
  pretrained base nested in a model, the case learners report broken): the deletion area of Grad-CAM at
  ``block3_relu``, of occlusion and of random orders (mean over 5 seeds), and the rank correlation of
  Grad-CAM's maps with those of copies whose top layers are shuffled, one more layer at a time; and Grad-CAM's
  ratio to random under other choices (grey or white deletion, block 2's maps).
"""

from __future__ import annotations

import argparse
import datetime
import time

import numpy as np

from benchmarks import report
from helpers import data, explain, transfer
from helpers.environment import machine_description

CAM_LAYER = "block3_relu"  # the last maps before global average pooling
LAYERS_TOP_DOWN = ("logits", "block3_bn", "block3_conv", "block2_bn", "block2_conv", "block1_bn", "block1_conv")
RANDOM_ORDERS = 5
TARGET_K = 20  # the target: the best transfer strategy beats scratch by 10 points here


def accuracy_table(ks: list[int], seeds: list[int], steps: int) -> dict:
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    backbone = transfer.load_backbone()
    pool = transfer.transfer_inputs(
        backbone, *transfer.select_classes(x_train[..., None], y_train, transfer.NEW_CLASSES)
    )
    test = transfer.transfer_inputs(backbone, *transfer.select_classes(x_test[..., None], y_test, transfer.NEW_CLASSES))
    rows = transfer.compare_strategies(backbone, pool, test, ks, seeds, steps=steps)
    tested, trained = transfer.summarize(rows), transfer.summarize(rows, "train_accuracy")
    table = {
        strategy: {
            str(k): {
                "test_mean": round(mean, 4),
                "test_std": round(std, 4),
                "train_mean": round(trained[strategy][k][0], 4),
            }
            for k, (mean, std) in by_k.items()
        }
        for strategy, by_k in tested.items()
    }
    result = {"test_images": len(test.labels), "accuracy": table, "runs": rows}
    if TARGET_K in ks:
        best = max((s for s in table if s != "scratch"), key=lambda s: table[s][str(TARGET_K)]["test_mean"])
        gain = table[best][str(TARGET_K)]["test_mean"] - table["scratch"][str(TARGET_K)]["test_mean"]
        result[f"best_transfer_at_k{TARGET_K}"] = {"strategy": best, "points_over_scratch": round(100 * gain, 1)}
    return result


def faithfulness(n_images: int) -> dict:
    _, (x_test, y_test) = data.load_fashion_mnist()
    images, _ = transfer.select_classes(x_test[..., None].astype(np.float32), y_test, transfer.BASE_CLASSES)
    images = images[:n_images]
    model = transfer.load_backbone(with_head=True)
    predict = explain.predictor(model)
    classes = predict(images).argmax(axis=1)
    size = images.shape[1:3]

    def area(maps: np.ndarray, seed: int = 0, fill: float = 0.0) -> float:
        curves = explain.deletion_curve(predict, images, maps, classes, fill=fill, seed=seed)
        return float(explain.deletion_area(curves).mean())

    def random_area(fill: float = 0.0) -> float:
        return float(np.mean([area(explain.random_maps(images.shape[:3], s), s, fill) for s in range(RANDOM_ORDERS)]))

    grad_cam = explain.upsample(explain.grad_cam(model, images, classes, CAM_LAYER), size)
    areas = {
        "grad_cam": area(grad_cam),
        "occlusion": area(explain.occlusion(predict, images, classes)),
        "random": random_area(),
    }
    # Choices that might have suited Grad-CAM better: deleting to grey or white instead of the black
    # background, and block 2's 14x14 maps instead of block 3's 7x7.
    alternatives = {f"fill {fill:g}": area(grad_cam, fill=fill) / random_area(fill) for fill in (128.0, 255.0)}
    block2 = explain.upsample(explain.grad_cam(model, images, classes, "block2_relu"), size)
    alternatives["block2_relu"] = area(block2) / areas["random"]
    randomized = explain.cascading_randomization(model, images, classes, CAM_LAYER, LAYERS_TOP_DOWN)
    return {
        "images": len(images),
        "layer": CAM_LAYER,
        "deletion_area": {name: round(value, 4) for name, value in areas.items()},
        "area_over_random": {name: round(areas[name] / areas["random"], 3) for name in ("grad_cam", "occlusion")},
        "grad_cam_alternatives_over_random": {name: round(ratio, 3) for name, ratio in alternatives.items()},
        "rank_correlation_after_randomizing": [[layer, round(corr, 4)] for layer, corr in randomized],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ks", nargs="+", type=int, default=[1, 5, 20, 100])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--images", type=int, default=64, help="test images for the faithfulness figures")
    parser.add_argument("--out", help="also write the JSON here (atomically)")
    args = parser.parse_args()
    start = time.perf_counter()
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": machine_description(),
        "settings": {
            "ks": args.ks,
            "seeds": args.seeds,
            "steps": args.steps,
            "learning_rates": transfer.LEARNING_RATES,
        },
        **accuracy_table(args.ks, args.seeds, args.steps),
        "faithfulness": faithfulness(args.images),
    }
    result["seconds"] = round(time.perf_counter() - start, 1)
    report(result, args.out)


if __name__ == "__main__":
    main()
