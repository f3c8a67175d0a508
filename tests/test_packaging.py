"""The three install routes (pip, conda, Colab's pyproject) must name the same packages."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*-?\s*([A-Za-z0-9_.-]+)\s*==?\s*([0-9][^\s#]*)")


def pins_in_requirements(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if line.startswith("-r "):
            pins |= pins_in_requirements(line.split()[1])
        elif match := PIN.match(line):
            pins[match[1].lower()] = match[2]
    return pins


def pins_in_environment_yml() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if (match := PIN.match(line)) and match[1] != "python":
            pins[match[1].lower()] = match[2]
    return pins


def test_conda_and_pip_name_the_same_packages_and_versions():
    assert pins_in_environment_yml() == pins_in_requirements("requirements-dev.txt")


def test_required_packages_are_pinned():
    pins = pins_in_requirements("requirements-dev.txt")
    for package in ("jupyterlab", "tensorflow", "keras", "numpy", "matplotlib", "nbval", "pillow", "pytest"):
        assert package in pins, f"{package} is not pinned in requirements"


def test_package_lower_bounds_admit_the_pins():
    from packaging.requirements import Requirement

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    pins = pins_in_requirements("requirements.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        assert requirement.name in pins, f"{requirement.name} is a dependency but not pinned in requirements.txt"
        assert requirement.specifier.contains(pins[requirement.name]), (
            f"{spec} excludes the pin {pins[requirement.name]}"
        )
        assert all(s.operator == ">=" for s in requirement.specifier), f"{spec}: use lower bounds only (Colab)"
