"""The three install routes (pip, conda, Colab's pyproject) must name the same packages."""

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*-?\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*==?\s*([0-9][^\s#]*)")
CONDA_PYTHON = re.search(r"^  - python=([\d.]+)$", (ROOT / "environment.yml").read_text(), re.MULTILINE)[1]


def requirement_lines(name: str) -> list[Requirement]:
    """Every requirement of a requirements file and the files it includes (``-r``), markers kept."""
    found = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            found += requirement_lines(line.split()[1])
        elif line and not line.startswith("-"):
            found.append(Requirement(line))
    return found


def pins_in_requirements(name: str, python: str = CONDA_PYTHON) -> dict[str, str]:
    """``{package: pinned version}`` for those pins whose markers hold on Python ``python``."""
    return {
        r.name.lower(): next(iter(r.specifier)).version
        for r in requirement_lines(name)
        if r.marker is None or r.marker.evaluate({"python_version": python})
    }


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


def test_every_requirement_is_an_exact_pin():
    for requirement in requirement_lines("requirements-dev.txt"):
        assert [spec.operator for spec in requirement.specifier] == ["=="], f"{requirement}: pin one exact version"


def test_package_lower_bounds_admit_the_pins_on_every_python():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for python in ("3.10", "3.11", "3.12", "3.13"):
        pins = pins_in_requirements("requirements.txt", python)
        for spec in project["dependencies"]:
            requirement = Requirement(spec)
            assert requirement.name in pins, f"{requirement.name} is a dependency but not pinned in requirements.txt"
            assert requirement.specifier.contains(pins[requirement.name]), (
                f"{spec} excludes the pin {pins[requirement.name]} (Python {python})"
            )
            assert all(s.operator == ">=" for s in requirement.specifier), f"{spec}: use lower bounds only (Colab)"
