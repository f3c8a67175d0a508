"""Every reference to a lesson by number points at the lesson it means.

Lessons get renumbered: a new lesson 05 (your own images) moved the GAN to 06 and diffusion to 07, and
a stale "lesson 05's DCGAN" still reads fine to anyone who does not know the course's history. This
test knows each lesson's number, its file and a few terms that only that lesson uses. It fails when a
reference by number ("lesson 05", "lessons 05 and 06", "notebook 06's", "05 · A GAN", a file name
like ``06_gan_training.ipynb``) stands next to terms of another lesson and none of its own, and when a
lesson's file name is not the one in notebooks/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Lesson:
    stem: str  # the notebook's file name without .ipynb
    terms: tuple[str, ...]  # regular expressions, case-insensitive, each matched at the start of a word


LESSONS = {
    "00": Lesson("00_start_here", (r"start here", r"readiness")),
    "01": Lesson("01_convolution", (r"convolutions?\b", r"kernels?\b", r"strides?\b", r"im2col", r"cross-correlation",
                                    r"padding", r"dilation")),
    "02": Lesson("02_pooling", (r"pooling", r"(shift|translation)[- ]invarian")),
    "03": Lesson("03_cnn_classifier", (r"CNNs?\b", r"confusion matrix", r"receptive[- ]field")),
    "04": Lesson("04_vgg16_recognition", (r"VGG", r"ImageNet", r"top-5", r"mirror[- ]averag")),
    "05": Lesson("05_your_own_images", (r"transfer", r"fine-tun", r"Grad-CAM", r"your own", r"backbone",
                                        r"occlusion", r"frozen", r"looks at", r"deletion (curve|area)")),
    "06": Lesson("06_gan_training", (r"GANs?\b", r"DCGAN", r"generators?\b", r"discriminators?\b", r"latent",
                                     r"mode collapse", r"GIF\b")),
    "07": Lesson("07_diffusion", (r"diffusion", r"denois", r"U-Net", r"DDIM", r"DDPM", r"guidance",
                                  r"noise schedule", r"ancestral")),
}  # fmt: skip
# Lessons 01 and 02 teach the building blocks (convolution, kernels, strides, pooling) that every later
# lesson is made of, so their terms beside a reference to a later lesson say nothing against it.
FOUNDATIONS = ("01", "02")
# A term counts as a word, not inside a name: not helpers.gan, generators.json or lesson_dcgan.
TERMS = {
    number: re.compile(r"(?<![\w./])(?:" + "|".join(lesson.terms) + r")(?![\w-]*(?:\.\w|_))", re.IGNORECASE)
    for number, lesson in LESSONS.items()
}

# Lessons being written: their file may be named before it exists. The exemption stops applying by
# itself once notebooks/<name> exists (then the file is simply there); drop the entry at that point.
PLANNED_NOTEBOOKS = {"05_your_own_images.ipynb"}

# Names that tests give the notebooks they make up (in tmp_path, or as plain strings): never a lesson.
# test_made_up_notebook_names_stay_in_tests keeps this list honest.
MADE_UP_IN_TESTS = {
    "00_a.ipynb", "00_good.ipynb", "00_tiny.ipynb", "01_b.ipynb", "01_x.ipynb", "02_b.ipynb", "03_cnn.ipynb",
    "04_vgg16.ipynb", "05_x.ipynb", "06_y.ipynb", "07_broken.ipynb", "08_dies.ipynb", "10_c.ipynb", "01_tiny.ipynb",
    "03_x.ipynb", "04_x.ipynb", "07_x.ipynb",
}  # fmt: skip

# Where references to lessons are written. This file is left out: it names every lesson's terms.
SOURCES = (
    "README.md", "CONTRIBUTING.md", "data/README.md", "pyproject.toml", ".github/workflows/*.yml",
    "notebooks/*.ipynb", "helpers/**/*.py", "benchmarks/**/*.py", "benchmarks/results/*.json", "tools/**/*.py",
    "tools/site/**/*.*", "tests/**/*.py",
)  # fmt: skip
THIS_FILE = Path(__file__).name

NUMBER_LIST = r"\d\d(?:\s*(?:,|and|or|to|-|–)\s*\d\d)*"
REFERENCES = (
    re.compile(rf"\b(?:lessons?|notebooks?)\s+(?P<numbers>{NUMBER_LIST})\b", re.IGNORECASE),
    re.compile(r"第\s*(?P<numbers>\d\d)\s*课"),
)
# In prose only (a test makes up notebooks with titles like this): "05 · A GAN that learns to draw"
TITLE = re.compile(r"(?<![\w.])(?P<numbers>\d\d) · ")
NOTEBOOK_NAME = re.compile(r"(?<![\w-])(?P<numbers>\d\d)_\w+\.ipynb\b")
# Where a sentence ends, in prose: after . ! ? ; before a blank line, a table cell, a list item or a heading.
PROSE_BREAK = re.compile(r"[.!?;](?=\s)|\n\s*\n|\||\n(?=\s*(?:[-*#]|\d+\.) )")
RADIUS = 160  # characters on each side of a reference that can hold its terms, at most
POSSESSED_WORDS = 5  # after "lesson 05's", the words that say what of that lesson is meant


@dataclass(frozen=True)
class Text:
    where: str  # the file, and the cell for a notebook
    text: str
    code: bool  # Python source: a line is a statement, except in comments and docstrings


def texts(root: Path = ROOT) -> Iterator[Text]:
    """Every text that may refer to a lesson by number: documents, notebook cells, code."""
    paths = sorted({path for pattern in SOURCES for path in root.glob(pattern) if path.is_file()})
    for path in paths:
        relative = path.relative_to(root).as_posix()
        if path.name == THIS_FILE or "egg-info" in relative or relative.startswith("_build/"):
            continue
        if path.suffix == ".ipynb":
            for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                yield Text(f"{relative} cell {cell.get('id')}", source, code=cell["cell_type"] == "code")
        else:
            yield Text(relative, path.read_text(encoding="utf-8"), code=path.suffix in {".py", ".json"})


def _code_breaks(text: str) -> list[int]:
    """Where a sentence ends in Python source: each line's end, except between two comment lines and
    inside a triple-quoted string (where prose wraps), plus the prose breaks there."""
    breaks, offset, in_string, string_indent = [], 0, False, 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        quotes = line.count('"""') + line.count("'''")
        indent = len(line) - len(line.lstrip())
        if in_string and line.strip() and indent > string_indent:  # an example inside a docstring: a statement
            breaks.append(offset - 1)
        if not in_string and quotes % 2 == 1:
            string_indent = indent
        prose = in_string or line.lstrip().startswith("#") or quotes > 0
        if prose:
            breaks += [offset + m.start() for m in PROSE_BREAK.finditer(line + " ")]  # " ": a full stop ends a line
        in_string ^= quotes % 2 == 1
        following = lines[i + 1].lstrip() if i + 1 < len(lines) else ""
        comment_goes_on = line.lstrip().startswith("#") and following.startswith("#")
        if not (in_string or comment_goes_on):
            breaks.append(offset + len(line))
        offset += len(line) + 1
    return breaks


def _numbers(listed: str) -> set[str]:
    """The lesson numbers of "05", "05 and 06", "01, 03 or 04", "00-03", "03 to 05"."""
    numbers, previous, pending_range = set(), None, False
    for token in re.findall(r"\d\d|-|–|to", listed):
        if token in {"-", "–", "to"}:
            pending_range = True
            continue
        if pending_range and previous is not None:
            numbers |= {f"{n:02d}" for n in range(int(previous), int(token) + 1)}
        numbers.add(token)
        previous, pending_range = token, False
    return numbers


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def problems(root: Path = ROOT) -> list[str]:
    """Every reference by number that sits next to another lesson's terms and none of its own, and
    every notebook file name that is not a lesson's."""
    found = []
    for source in texts(root):
        text = source.text
        # A notebook's own lesson is its topic throughout: its terms beside a reference to another lesson
        # ("as in lesson 03", in the GAN lesson) say nothing about which lesson the reference means.
        host = re.match(r"notebooks/(\d\d)_", source.where)
        breaks = sorted(set(_code_breaks(text) if source.code else [m.start() for m in PROSE_BREAK.finditer(text)]))
        refs = sorted(
            [(m.start(), m.end(), m["numbers"], m[0]) for pattern in REFERENCES for m in pattern.finditer(text)]
            + ([] if source.code else [(m.start(), m.end(), m["numbers"], m[0]) for m in TITLE.finditer(text)])
            + [(m.start(), m.end(), m["numbers"], m[0]) for m in NOTEBOOK_NAME.finditer(text)]
        )
        for i, (start, end, listed, written) in enumerate(refs):
            where = f"{source.where}:{_line(text, start)}"
            if NOTEBOOK_NAME.fullmatch(written):
                if written in MADE_UP_IN_TESTS and source.where.startswith("tests/"):
                    continue
                problem = _name_problem(written, root)
                if problem:
                    found.append(f"{where}: {problem}")
                    continue
            numbers = _numbers(listed)
            unknown = sorted(numbers - set(LESSONS))
            if unknown:
                found.append(f"{where}: {written!r} names lesson {', '.join(unknown)}, which the course does not have")
                continue
            sentence_start = max([b + 1 for b in breaks if b < start], default=0)
            sentence_end = min([b for b in breaks if b >= end], default=len(text))
            low = max(sentence_start, refs[i - 1][1] if i else 0, start - RADIUS)
            high = min(sentence_end, refs[i + 1][0] if i + 1 < len(refs) else len(text), end + RADIUS)
            window = text[low:start] + " " + text[end:high]
            if text[end : end + 2] in {"'s", "’s"}:  # "lesson 03's classifier": what it owns is what it means
                owned = re.match(rf"(?:[\s`*]*\w[\w-]*){{1,{POSSESSED_WORDS}}}", text[end + 2 : high])  # to a , ( )
                low, high = start, end + 2 + (owned.end() if owned else 0)
                window = text[end:high]
            seen = {n: sorted({m[0].lower() for m in TERMS[n].finditer(window)}) for n in LESSONS}
            seen = {n: terms for n, terms in seen.items() if terms}
            ignored = {host[1]} if host else set()
            ignored |= {n for n in FOUNDATIONS if any(n < number for number in numbers)}
            others = {n: terms for n, terms in seen.items() if n not in numbers | ignored}
            if others and not numbers & set(seen):
                theirs = "; ".join(
                    f"{', '.join(repr(t) for t in terms)} (lesson {n}, {LESSONS[n].stem})"
                    for n, terms in others.items()
                )
                own = "; ".join(f"lesson {n}: {', '.join(LESSONS[n].terms)}" for n in sorted(numbers & set(LESSONS)))
                excerpt = " ".join(text[low:high].split())
                found.append(
                    f"{where}: {written!r} stands next to {theirs} and none of its own terms ({own}): «{excerpt}»"
                )
    return found


def _name_problem(name: str, root: Path = ROOT) -> str | None:
    """Why the notebook file name ``name`` is not a lesson's file; None if it is one."""
    number, expected = name[:2], LESSONS.get(name[:2])
    if expected is None:
        return f"{name!r} is not a notebook in notebooks/ (the course has no lesson {number})"
    if name != f"{expected.stem}.ipynb":
        return f"{name!r} is not a notebook in notebooks/ (lesson {number} is {expected.stem}.ipynb)"
    if name not in _existing_notebooks(root) and name not in PLANNED_NOTEBOOKS:
        return f"{name!r} is lesson {number}'s name in LESSONS, but notebooks/ has no such file"
    return None


def _existing_notebooks(root: Path = ROOT) -> list[str]:
    return sorted(path.name for path in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_the_lesson_map_is_the_notebooks_folder():
    expected = sorted(f"{lesson.stem}.ipynb" for lesson in LESSONS.values())
    missing = sorted(set(expected) - set(_existing_notebooks()) - PLANNED_NOTEBOOKS)
    unmapped = sorted(set(_existing_notebooks()) - set(expected))
    assert not missing and not unmapped, (
        f"LESSONS in {THIS_FILE} must name each notebook in notebooks/: not there: {missing}; "
        f"not in LESSONS: {unmapped}"
    )


def test_each_lesson_title_cell_uses_its_own_terms():
    for number, lesson in LESSONS.items():
        path = ROOT / "notebooks" / f"{lesson.stem}.ipynb"
        if path.exists():
            title = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"])
            assert TERMS[number].search(title), f"{path.name}'s title cell has none of its terms {lesson.terms}"


def test_made_up_notebook_names_stay_in_tests():
    real = set(_existing_notebooks()) | PLANNED_NOTEBOOKS | {f"{lesson.stem}.ipynb" for lesson in LESSONS.values()}
    assert not MADE_UP_IN_TESTS & real, f"a made-up test name is a lesson's: {sorted(MADE_UP_IN_TESTS & real)}"
    used = {m[0] for text in texts() if text.where.startswith("tests/") for m in NOTEBOOK_NAME.finditer(text.text)}
    assert MADE_UP_IN_TESTS <= used, f"no test uses {sorted(MADE_UP_IN_TESTS - used)}: drop it from MADE_UP_IN_TESTS"


def test_every_reference_by_number_means_that_lesson():
    found = problems()
    assert not found, f"{len(found)} reference(s) to the wrong lesson:\n" + "\n".join(found)
