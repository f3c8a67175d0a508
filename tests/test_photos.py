import numpy as np
import pytest

from helpers import photos


def test_example_photos_are_shipped_and_load():
    names = {p.stem for p in photos.example_photos()}
    assert {"cat", "coffee", "rocket", "astronaut", "camera"} <= names
    cat = photos.load_photo("cat")
    assert cat.ndim == 3 and cat.shape[2] == 3 and cat.dtype == np.float32 and 0 <= cat.min() < cat.max() <= 255
    assert photos.load_photo("cat", size=(32, 48), grayscale=True).shape == (32, 48)


def test_every_photo_has_a_license_record():
    readme = (photos.DATA_DIR / "README.md").read_text()
    for photo in photos.example_photos():
        assert photo.name in readme, f"{photo.name} has no source/license line in data/README.md"


def test_unknown_photo_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"no photo 'dog'.*'cat'"):
        photos.load_photo("dog")


def test_load_image_for_model_crops_the_centre_square(tmp_path):
    from PIL import Image

    wide = np.zeros((40, 80, 3), dtype=np.uint8)
    wide[:, 20:60] = 255  # a white centre square, black side bands
    Image.fromarray(wide).save(tmp_path / "wide.png")
    image = photos.load_image_for_model(tmp_path / "wide.png", size=20)
    assert image.shape == (20, 20, 3) and image.dtype == np.float32
    assert image.min() > 200, "the black side bands were cropped away, not squashed in"
