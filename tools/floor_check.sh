#!/usr/bin/env bash
# Floor check: the course on the OLDEST releases it supports, the lower bounds in pyproject.toml
# (which include Colab's runtime as last announced), on the oldest supported Python. A fresh virtual
# environment gets exactly those bounds (uv's --resolution lowest-direct), then the unit tests and
# every notebook in the smoke profile, as the drift check does for the newest releases.
# Left out, as there: lint, the website's build, and the pin check (they test the pinned tools).
#
#   bash tools/floor_check.sh            # venv in a temporary folder, removed afterwards
#   FLOOR_VENV=.floor bash tools/floor_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source tools/venv_folder.sh "${FLOOR_VENV:-}"
uv="$(python3 -c 'import uv; print(uv.find_uv_bin())')"  # requirements-dev.txt installs it
oldest=$(python3 -c 'import sys; sys.path.insert(0, "tools"); from check_pins import *; print(supported_pythons()[0])')
interpreter=$(python3 -c "import sys; sys.path.insert(0, 'tools'); from check_pins import *; print((find_interpreter('$oldest') or [''])[0])")
if [ -z "$interpreter" ]; then
    echo "floor: no Python $oldest on this machine (CI's image has it under pyenv)" >&2
    exit 1
fi
"$uv" venv -q --python "$interpreter" "$venv"
export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"  # the notebooks' kernels start the venv's python too
echo "== floor: the lower bounds of pyproject.toml, exactly, on Python $oldest"
"$uv" pip install -q --python "$venv/bin/python" --resolution lowest-direct -e .
# The test tools as a contributor gets them; what is installed already stays (no upgrades).
"$uv" pip install -q --python "$venv/bin/python" "$(grep -E '^pytest==' requirements-dev.txt)" "$(grep -E '^nbval==' requirements-dev.txt)" \
    "$(grep -E '^nbclient==' requirements-dev.txt)" "$(grep -E '^polib==' requirements-dev.txt)" ipykernel
# The versions installed must be the bounds themselves, or this check tests something else.
python - <<'PY'
import importlib.metadata as metadata, re, sys
text = open("pyproject.toml").read()
bounds = re.findall(r'^ +"([\w-]+)>=([\d.]+)",?$', text, re.MULTILINE)  # the dependencies' lines
wrong = []
for name, floor in bounds:
    found = metadata.version(name)
    print(f"{name} {found} (bound {floor})", end="; ")
    if found.split(".")[: len(floor.split("."))] != floor.split("."):
        wrong.append(f"{name} {found} is not its lower bound {floor}")
print()
sys.exit("\n".join(wrong) or (None if bounds else "no lower bounds found in pyproject.toml"))
PY
echo "== floor: unit tests and notebooks (smoke profile)"
python -m pytest -p no:cacheprovider --ignore=tests/test_lint.py --ignore=tests/test_build_site.py \
    --ignore=tests/test_check_pins.py
