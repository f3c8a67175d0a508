#!/usr/bin/env bash
# Drift check: the course on the NEWEST releases that pyproject.toml's lower bounds allow, as Colab or
# a new learner gets them (Colab keeps its own TensorFlow and installs `helpers` with lower bounds
# only). A fresh virtual environment, then the unit tests and every notebook in the smoke profile, the
# Chinese edition's (notebooks/zh/, the same code as the English).
# Lint, the website's build and the pin check are left out: a new ruff's opinions are not drift a
# learner meets, and the site and the pins are the pinned tools' business (tools/build_site.py).
#
#   bash tools/drift_check.sh            # venv in a temporary folder, removed afterwards
#   DRIFT_VENV=.drift bash tools/drift_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source tools/venv_folder.sh "${DRIFT_VENV:-}"
python3 -m venv "$venv"
export PATH="$venv/bin:$PATH"  # the notebooks' kernels start the venv's python too
echo "== drift: installing the newest releases allowed by pyproject.toml"
python -m pip install -qq --upgrade pip
# The test tools are unpinned as well: they are what a contributor would get today.
python -m pip install -qq -e . pytest nbval nbclient ipykernel polib
python -m pip freeze | grep -iE '^(tensorflow|keras|numpy|matplotlib|pillow|nbval|pytest)==' | tr '\n' ' '
echo
# The Chinese edition's notebooks run here (their code is the English code, byte for byte): each lesson
# executes once per environment, and both editions are executed in every CI run.
echo "== drift: unit tests and the Chinese edition's notebooks (smoke profile)"
COURSE_EDITION=zh python -m pytest -p no:cacheprovider --ignore=tests/test_lint.py --ignore=tests/test_build_site.py \
    --ignore=tests/test_check_pins.py
