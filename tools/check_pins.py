"""Do the pinned requirements install on every Python and laptop the course supports? ``python tools/check_pins.py``

Two checks, both from binary wheels only, installing nothing:

1. **Each supported Python, for real.** For each minor version from ``helpers.python_support.OLDEST_PYTHON``
   to ``NEWEST_PYTHON``, that Python's own pip resolves ``requirements-dev.txt`` as a learner's
   ``pip install`` would (``--dry-run --report``), and every resolved package's ``Requires-Python``
   is checked against the version. The interpreters are found on ``PATH`` (``python3.X``) or under
   pyenv. pip's ``--python-version`` is not used: it evaluates environment markers and chooses
   versions for the Python running it (measured with pip 23.2: for 3.10 it resolved keras 3.15.1 and
   ipykernel 7.4.0, both ``Requires-Python >=3.11``). Where an interpreter is missing, uv resolves
   for that version instead (check 2's method, for this machine's platform), and the output says so.
2. **Each learner's platform.** uv resolves the same file for every supported Python on Windows
   amd64, macOS arm64 and Linux x86_64 and aarch64 (glibc 2.35, Ubuntu 22.04's). uv applies the
   target's Python version and platform to markers and ``Requires-Python``, as pip on that laptop would.
   Intel Macs are not among them: TensorFlow's last wheel for them is 2.16.2 (README.md says so).

Needs the package index; CI runs it.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.specifiers import SpecifierSet

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from helpers.python_support import NEWEST_PYTHON, OLDEST_PYTHON  # noqa: E402

# Learners' laptops, as uv names their platforms.
PLATFORMS = {
    "Windows amd64": "x86_64-pc-windows-msvc",
    "macOS arm64": "aarch64-apple-darwin",
    "Linux x86_64": "x86_64-manylinux_2_35",
    "Linux aarch64": "aarch64-manylinux_2_35",
}


def supported_pythons() -> list[str]:
    """``["3.10", "3.11", ...]``: every minor version the course supports."""
    major = OLDEST_PYTHON[0]
    return [f"{major}.{minor}" for minor in range(OLDEST_PYTHON[1], NEWEST_PYTHON[1] + 1)]


def find_interpreter(version: str) -> tuple[str, str] | None:
    """A Python ``version`` (``"3.10"``) that runs on this machine, from ``PATH`` or pyenv, and its full
    version (``"3.10.13"``); ``None`` if there is none."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}"), *sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python"))]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import platform; print(platform.python_version())"],
                               capture_output=True, text=True)  # fmt: skip
        full = probe.stdout.strip()
        if probe.returncode == 0 and full.rsplit(".", 1)[0] == version:  # a pyenv shim for another version fails
            return candidate, full
    return None


def requires_python_violations(report: dict, version: str) -> list[str]:
    """The packages of a ``pip install --report`` whose ``Requires-Python`` excludes ``version``."""
    found = []
    for item in report["install"]:
        metadata = item["metadata"]
        spec = metadata.get("requires_python")
        if spec and not SpecifierSet(spec).contains(version, prereleases=True):
            found.append(f"{metadata['name']}=={metadata['version']} requires Python {spec}")
    return found


def resolve_with_pip(interpreter: str, version: str, requirements: Path) -> tuple[bool, str]:
    """Resolve ``requirements`` with ``interpreter``'s own pip, whose full version is ``version``;
    ``(ok, what went wrong)``."""
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        command = [interpreter, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                   "--only-binary=:all:", "--report", str(report_path), "-r", str(requirements)]  # fmt: skip
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            return False, result.stderr[-2000:]
        violations = requires_python_violations(json.loads(report_path.read_text()), version)
    return not violations, "\n".join(violations)


def resolve_with_uv(version: str, platform: str | None, requirements: Path) -> tuple[bool, str]:
    """Resolve ``requirements`` with uv for Python ``version`` on ``platform`` (``None``: this machine's)."""
    target = ["--python-platform", platform] if platform else []
    command = [sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--only-binary", ":all:",
               "--python-version", version, *target, "--output-file", os.devnull, str(requirements)]  # fmt: skip
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    return result.returncode == 0, result.stderr[-2000:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", nargs="+", default=supported_pythons(), help="versions to try (default: all)")
    parser.add_argument("--platform", nargs="*", default=list(PLATFORMS), choices=list(PLATFORMS),
                        help="learners' platforms to resolve for (default: all; none: skip check 2)")  # fmt: skip
    parser.add_argument("--requirements", type=Path, default=REPO_ROOT / "requirements-dev.txt")
    parser.add_argument("--uv-only", action="store_true", help="resolve with uv even where an interpreter exists")
    args = parser.parse_args(argv)
    failed = []
    for version in args.python:
        found = None if args.uv_only else find_interpreter(version)
        if found:
            interpreter, full = found
            how, (ok, problem) = f"pip of Python {full}", resolve_with_pip(interpreter, full, args.requirements)
        else:
            how, (ok, problem) = "uv (no interpreter here)", resolve_with_uv(version, None, args.requirements)
        failed += _report(f"Python {version}, this machine, {how}", ok, problem)
    for name in args.platform:
        for version in args.python:
            ok, problem = resolve_with_uv(version, PLATFORMS[name], args.requirements)
            failed += _report(f"Python {version}, {name}, uv", ok, problem)
    print(f"{len(failed)} of the combinations above FAIL" if failed else "every combination resolves")
    return 1 if failed else 0


def _report(what: str, ok: bool, problem: str) -> list[str]:
    print(f"{what}: {'resolves' if ok else 'FAILS'}", flush=True)
    if not ok:
        print("    " + problem.strip().replace("\n", "\n    "))
    return [] if ok else [what]


if __name__ == "__main__":
    sys.exit(main())
