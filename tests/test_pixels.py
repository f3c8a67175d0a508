import numpy as np
import pytest

from helpers import pixels


def test_pixels_and_model_range_convert_both_ways():
    values = np.array([0, 127.5, 255], dtype=np.float32)
    np.testing.assert_allclose(pixels.from_pixels(values), [-1, 0, 1])
    np.testing.assert_allclose(pixels.to_pixels(pixels.from_pixels(values)), values)
    assert pixels.from_pixels(np.array([0, 255], np.uint8)).dtype == np.float32
    assert pixels.to_pixels(np.array([-2.0, 2.0])).tolist() == [0.0, 255.0]  # a generator's overshoot is clipped


@pytest.mark.parametrize("bad", [np.array([-5.0, 10.0]), np.array([0.0, 300.0])])
def test_values_that_are_not_pixels_are_refused(bad):
    with pytest.raises(ValueError, match=r"pixels: expected values 0..255, got"):
        pixels.from_pixels(bad)


def test_the_unit_range_check_names_the_argument_and_the_values_found():
    pixels.require_unit_range(np.array([-1.0, 0.0, 1.0]), "images")
    with pytest.raises(ValueError, match=r"real: expected values in \[-1, 1\] .*got 0..255"):
        pixels.require_unit_range(np.array([0.0, 255.0]), "real")


def test_the_shape_check_wants_a_batch_of_fashion_mnist_images():
    pixels.require_image_shape(np.zeros((2, 28, 28, 1)))
    for shape in [(28, 28, 1), (2, 28, 28), (2, 32, 32, 3)]:
        with pytest.raises(ValueError, match=r"images: expected shape \(N, 28, 28, 1\), got"):
            pixels.require_image_shape(np.zeros(shape))
