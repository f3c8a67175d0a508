import io
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from helpers import image_folder
from helpers.image_folder import ImageFolderError, check_image_folder, load_image_folder, write_example_folder


def write_image(path: Path, width: int = 40, height: int = 40, seed: int = 0, fmt: str = "PNG", value=None) -> Path:
    """A random RGB image (or one of constant ``value``) saved as ``fmt`` at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if value is None:
        pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    else:
        pixels = np.full((height, width, 3), value, dtype=np.uint8)
    Image.fromarray(pixels).save(path, format=fmt)
    return path


def make_folder(root: Path, counts: dict[str, int], size: int = 40) -> Path:
    for name, count in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for number in range(count):
            write_image(root / name / f"{number:03d}.png", size, size, seed=number)
    return root


def problems_of(root: Path, **options) -> list[str]:
    with pytest.raises(ImageFolderError) as caught:
        check_image_folder(root, **options)
    return caught.value.problems


def test_image_suffixes_are_the_ones_keras_reads():
    from keras.src.utils.image_dataset_utils import ALLOWLIST_FORMATS

    assert set(image_folder.IMAGE_SUFFIXES) == set(ALLOWLIST_FORMATS)


def test_a_clean_folder_is_summarised_in_keras_order(tmp_path):
    from helpers.environment import keras

    root = make_folder(tmp_path / "photos", {"cat": 6, "Dog": 6, "ant": 5})
    write_image(root / "cat" / "holiday" / "beach" / "x.png", seed=7)  # nested: Keras reads it, so it counts
    write_image(root / "ant" / "wide.png", width=50, height=36)  # the shortest side of all, 36 px
    write_image(root / "Dog" / "tall.png", width=37, height=90)

    summary = check_image_folder(root)

    assert summary.class_names == ["Dog", "ant", "cat"]  # Python's string order, upper case first, as Keras
    assert summary.counts == {"Dog": 7, "ant": 6, "cat": 7}
    assert summary.smallest == (50, 36)
    assert summary.root == root
    assert summary.describe() == "3 classes, 20 images (6 to 7 per class), smallest 50x36 px"
    dataset = keras.utils.image_dataset_from_directory(root, image_size=(8, 8), batch_size=4, verbose=False)
    assert dataset.class_names == summary.class_names
    assert len(dataset.file_paths) == sum(summary.counts.values())


def test_every_problem_is_reported_at_once_by_path(tmp_path):
    root = make_folder(tmp_path, {"cat": 6, "dog": 6})
    png = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(png, "PNG")
    (root / "cat" / "truncated.png").write_bytes(png.getvalue()[: len(png.getvalue()) // 2])
    (root / "cat" / "random.jpg").write_bytes(np.random.default_rng(1).bytes(500))
    (root / "cat" / "notes.txt").write_text("taken on holiday")
    write_image(root / "dog" / "tiny.png", 10, 10)
    (root / "empty").mkdir()
    (root / "labels.csv").write_text("file,label\n")
    (root / "dog" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "Thumbs.db").write_bytes(b"\xd0\xcf")

    with pytest.raises(ImageFolderError) as caught:
        check_image_folder(root)

    error = caught.value
    message = str(error)
    assert ".DS_Store" not in message and "Thumbs.db" not in message  # clutter is passed over in silence
    assert isinstance(error, ValueError)
    assert message.startswith(f"{root}: 6 problems; nothing was read:\n- ")
    assert message.count("\n- ") == len(error.problems) == 6
    by_file = {
        os.path.join("cat", "truncated.png"): "unreadable or corrupt",
        os.path.join("cat", "random.jpg"): "unreadable or corrupt",
        os.path.join("cat", "notes.txt"): "skip it silently",
        os.path.join("dog", "tiny.png"): "10x10 px",
        "empty": "no images",
        "labels.csv": "directly in the folder",
    }
    for name, words in by_file.items():
        [line] = [problem for problem in error.problems if problem.startswith(f"{name}:")]
        assert words in line


def test_a_truncated_file_is_corrupt_even_when_pillow_was_told_to_accept_it(tmp_path, monkeypatch):
    root = make_folder(tmp_path, {"cat": 6, "dog": 5})
    data = (root / "cat" / "000.png").read_bytes()
    (root / "cat" / "000.png").write_bytes(data[:-200])
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    [problem] = problems_of(root)

    assert problem.startswith(os.path.join("cat", "000.png")) and "corrupt" in problem
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the notebook's own setting is given back


def test_files_keras_would_skip_or_fail_on_are_named_with_what_to_do(tmp_path):
    root = make_folder(tmp_path, {"cat": 5, "dog": 5})
    for name in ("photo.heic", "photo.webp", "scan.tif"):
        (root / "cat" / name).write_bytes(b"not read")
    write_image(root / "cat" / "scan.png", fmt="TIFF")  # TensorFlow decodes by content: a TIFF fails
    bmp = root / "dog" / "mono.bmp"
    Image.fromarray(np.eye(40, dtype=bool)).save(bmp)  # 1 bit per pixel: TensorFlow reads 8, 24, 32
    assert struct.unpack("<H", bmp.read_bytes()[28:30]) == (1,)
    write_image(root / "dog" / "colour.bmp", fmt="BMP")  # 24 bits: fine
    (root / "dog" / "._000.png").write_bytes(b"\x00\x05\x16\x07" + bytes(60))  # macOS metadata Keras would read

    problems = problems_of(root)

    by_file = {path.split(":")[0]: path for path in problems}
    for name in ("photo.heic", "photo.webp", "scan.tif"):
        assert "convert it to JPEG or PNG" in by_file[os.path.join("cat", name)]
    assert "content is TIFF" in by_file[os.path.join("cat", "scan.png")]
    assert "1-bit BMP" in by_file[os.path.join("dog", "mono.bmp")]
    assert "macOS metadata file" in by_file[os.path.join("dog", "._000.png")]
    assert len(problems) == 6


def test_imbalance_is_reported_over_the_ratio_and_not_at_it(tmp_path):
    root = make_folder(tmp_path, {"big": 24, "small": 6, "middle": 10}, size=32)

    assert check_image_folder(root, max_imbalance=4.0).counts["big"] == 24  # 24 / 6 = 4: allowed

    write_image(root / "big" / "one_more.png", 32, 32)
    [problem] = problems_of(root, max_imbalance=4.0)
    assert "big has 25 images, small only 6" in problem and "tends to predict big" in problem
    assert check_image_folder(root, max_imbalance=5.0).counts["big"] == 25


def test_upper_case_suffixes_count_as_images(tmp_path):
    root = make_folder(tmp_path, {"cat": 4, "dog": 5})
    write_image(root / "cat" / "IMG_0001.JPG", fmt="JPEG")
    write_image(root / "cat" / "IMG_0002.Png")

    assert check_image_folder(root).counts == {"cat": 6, "dog": 5}


def test_too_few_classes_images_or_no_folder_at_all(tmp_path):
    [problem] = problems_of(make_folder(tmp_path / "one", {"cat": 6}))
    assert "only one class subfolder, cat" in problem

    (tmp_path / "none" / ".ipynb_checkpoints").mkdir(parents=True)  # hidden: not a class, for Keras either
    [problem] = problems_of(tmp_path / "none")
    assert "no class subfolders" in problem

    [problem] = problems_of(make_folder(tmp_path / "few", {"cat": 6, "dog": 2}))
    assert problem.startswith("dog: 2 images, fewer than min_per_class=5")
    assert check_image_folder(tmp_path / "few", min_per_class=2).counts["dog"] == 2

    [problem] = problems_of(tmp_path / "missing")
    assert "no such folder" in problem
    (tmp_path / "a_file").write_text("")
    [problem] = problems_of(tmp_path / "a_file")
    assert "not a folder" in problem


@pytest.mark.parametrize(
    "options, name",
    [
        ({"min_per_class": 0}, "min_per_class"),
        ({"min_side": 0}, "min_side"),
        ({"min_side": 2.5}, "min_side"),
        ({"max_imbalance": 0.5}, "max_imbalance"),
        ({"max_imbalance": float("nan")}, "max_imbalance"),
    ],
)
def test_check_options_are_validated_by_name(tmp_path, options, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected") as caught:
        check_image_folder(tmp_path / "missing", **options)  # the options first: no folder needed
    assert not isinstance(caught.value, ImageFolderError)


def test_load_image_folder_yields_every_image_once_with_its_label(tmp_path):
    # Each image is one grey level, which survives resizing, so every yielded image says which file it was.
    root = tmp_path / "photos"
    levels = {}
    for label, name in enumerate(["ant", "bee", "cat"]):
        for number in range(6):
            level = 10 + 12 * (6 * label + number)
            write_image(root / name / f"{number}.png", 40, 40, value=level)
            levels[level] = label

    train, validation, summary = load_image_folder(root, image_size=(24, 20), batch_size=4, validation_split=0.25)

    assert summary == check_image_folder(root)
    seen = []
    for dataset in (train, validation):
        for images, labels in dataset:
            assert images.dtype.name == "float32" and labels.dtype.name == "int32"
            assert images.shape[1:] == (24, 20, 3) and 1 <= images.shape[0] <= 4
            pixels = images.numpy()
            assert pixels.min() >= 0 and pixels.max() <= 255
            for image, label in zip(pixels, labels.numpy()):
                assert np.ptp(image) < 0.01  # one grey level still
                seen.append((int(round(image[0, 0, 0])), int(label)))
    assert sorted(seen) == sorted(levels.items())
    assert len(validation.file_paths) == 4 and len(train.file_paths) == 14  # int(0.25 * 18) = 4, as Keras counts


def test_load_image_folder_raises_before_keras_reads_anything(tmp_path, monkeypatch):
    from helpers.environment import keras

    calls = []
    monkeypatch.setattr(keras.utils, "image_dataset_from_directory", lambda *args, **kwargs: calls.append(args))
    root = make_folder(tmp_path, {"cat": 6, "dog": 6})
    (root / "cat" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")

    with pytest.raises(ImageFolderError, match="broken.jpg"):
        load_image_folder(root)
    (root / "cat" / "broken.jpg").unlink()
    with pytest.raises(ImageFolderError, match=r"cat: 6 images are too few for validation_split=0.1"):
        load_image_folder(root, validation_split=0.1)
    with pytest.raises(ImageFolderError, match="min_side=64"):
        load_image_folder(root, min_side=64)  # check options reach the check
    assert calls == []


@pytest.mark.parametrize(
    "arguments, name",
    [
        ({"validation_split": 0.0}, "validation_split"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"image_size": (0, 10)}, "image_size"),
        ({"image_size": 224}, "image_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": None}, "seed"),
    ],
)
def test_load_arguments_are_validated_by_name(tmp_path, arguments, name):
    with pytest.raises(ValueError, match=rf"^{name}: expected"):
        load_image_folder(tmp_path / "missing", **arguments)


def fake_fashion(channels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """30 images, 28x28 uint8, 10 of each label 0..2."""
    rng = np.random.default_rng(3)
    shape = (30, 28, 28) if channels is None else (30, 28, 28, channels)
    return rng.integers(0, 256, shape, dtype=np.uint8), np.repeat(np.arange(3), 10)


def test_write_example_folder_round_trip(tmp_path, monkeypatch):
    images, labels = fake_fashion()
    names = ["T-shirt", "Ankle boot", "Bag"]
    written = []
    monkeypatch.setattr(image_folder, "atomic_write", lambda path, data: written.append(path) or Path(path))
    write_example_folder(tmp_path / "counted", images, labels, names, per_class=2)
    assert len(written) == 6  # every file through atomic_write
    monkeypatch.undo()

    root = write_example_folder(tmp_path / "example", images, labels, names, per_class=4, seed=1)

    assert root == tmp_path / "example"
    summary = check_image_folder(root, min_per_class=4, min_side=28)
    assert summary.counts == {"Ankle boot": 4, "Bag": 4, "T-shirt": 4} and summary.smallest == (28, 28)
    boots = sorted((root / "Ankle boot").iterdir())
    assert [path.name for path in boots] == [f"ankle_boot_000{n}.png" for n in range(1, 5)]
    for label, name in enumerate(names):
        sources = {images[index].tobytes(): index for index in np.flatnonzero(labels == label)}
        read_back = [np.asarray(Image.open(path)) for path in sorted((root / name).iterdir())]
        assert all(pixels.dtype == np.uint8 and pixels.shape == (28, 28) for pixels in read_back)
        assert len({sources[pixels.tobytes()] for pixels in read_back}) == 4  # 4 different images of this class

    again = write_example_folder(tmp_path / "again", images, labels, names, per_class=4, seed=1)
    other = write_example_folder(tmp_path / "other", images, labels, names, per_class=4, seed=2)
    contents = {folder: [path.read_bytes() for path in sorted(folder.rglob("*.png"))] for folder in (again, other)}
    assert contents[again] == [path.read_bytes() for path in sorted(root.rglob("*.png"))]
    assert contents[other] != contents[again]


@pytest.mark.parametrize("channels", [1, 3])
def test_write_example_folder_keeps_the_pixels_of_channel_images(tmp_path, channels):
    images, labels = fake_fashion(channels)
    root = write_example_folder(tmp_path, images, labels, ["a", "b", "c"], per_class=10)
    read_back = {np.asarray(Image.open(path)).tobytes() for path in root.rglob("*.png")}
    expected = {(image[..., 0] if channels == 1 else image).tobytes() for image in images}
    assert read_back == expected  # all 10 of each class: every image, pixel for pixel


def test_write_example_folder_refuses_bad_input_before_writing(tmp_path):
    images, labels = fake_fashion()
    names = ["T-shirt", "Trouser", "Bag"]
    target = tmp_path / "new"
    cases = [
        ({"class_names": ["T-shirt/top", "Trouser", "Bag"]}, r"class_names\[0\]: 'T-shirt/top' .*'T-shirt or top'"),
        ({"class_names": ["T-shirt", "", "Bag"]}, r"class_names\[1\]: expected a non-empty folder name"),
        ({"class_names": ["T-shirt", "Bag", "bag"]}, r"class_names\[2\]: 'bag' repeats class_names\[1\]"),
        ({"class_names": ["a", "b"]}, r"labels: expected 0..1 .* got 0..2"),
        ({"images": images.astype(np.float32)}, "images: expected uint8 pixels 0..255, got dtype float32"),
        ({"images": images[:, None]}, r"images: expected shape"),
        ({"labels": labels[:-1]}, r"labels: expected 30 integer labels"),
        ({"per_class": 11}, r"per_class: 11 images of 'T-shirt' \(label 0\) wanted, only 10 given"),
        ({"per_class": 0}, r"per_class: expected an integer >= 1"),
    ]
    for change, message in cases:
        arguments = {"images": images, "labels": labels, "class_names": names, "per_class": 2} | change
        with pytest.raises(ValueError, match=message):
            write_example_folder(target, **arguments)
    assert not target.exists()

    write_example_folder(target, images, labels, names, per_class=2)
    with pytest.raises(ValueError, match=r"root: .* is not an empty folder; writing into it would mix two runs"):
        write_example_folder(target, images, labels, names, per_class=2, seed=5)
    assert sum(1 for _ in target.rglob("*.png")) == 6
    (tmp_path / "empty").mkdir()
    assert write_example_folder(tmp_path / "empty", images, labels, names, per_class=1) == tmp_path / "empty"
