"""tools/translations.py: the Chinese edition's PO files, the notebooks built from them, and the checks that
keep a translation from going stale or losing what must not change. Tiny lessons in a temporary repository,
then the real one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import polib
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tests.notebook_utils import KERNEL, ROOT, load_tool

translations = load_tool("translations")
BADGE = (
    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/o/n/blob/v1.0.0/notebooks/01_tiny.ipynb)"
)
TITLE = f"# 01 · Tiny\n\n{BADGE}\n\nA convolution slides a kernel.\nIt has a stride of 2."
TERMS = (
    "english\tchinese\trejected\twhy\n"
    "convolution\t卷积\t褶积\tthe usual term\n"
    "stride\t步幅\t步长\tkeeps stride apart from a step size\n"
)
CHINESE = {
    "01-000#0": "# 01 · 小例子",
    "01-000#2": "卷积（convolution）让卷积核滑过图像。\n它的步幅（stride）是 2。",
    "01-002#0": "计算 $y = 3x$，见 [文档](https://example.org/doc) 和 `conv2d`。",
    "01-001#alt0": "一条上升的直线",
}


def write_lesson(root: Path, markdown: list[str] | None = None, code_metadata: dict | None = None) -> Path:
    """notebooks/01_tiny.ipynb: a title cell, a code cell that draws, and a markdown cell."""
    markdown = markdown or [TITLE, "Compute $y = 3x$, see [the docs](https://example.org/doc) and `conv2d`."]
    cells = [
        new_markdown_cell(markdown[0], id="01-000", metadata={"slideshow": {"slide_type": "slide"}}),
        new_code_cell("plot(x)", id="01-001", metadata={"alt": ["A straight rising line"], **(code_metadata or {})}),
        *(new_markdown_cell(text, id=f"01-{i:03d}") for i, text in enumerate(markdown[1:], start=2)),
    ]
    path = root / "notebooks" / "01_tiny.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=cells, metadata=KERNEL), path)
    return path


def fill(root: Path, texts: dict[str, str]) -> None:
    """Translate the entries of lesson 01's PO file that ``texts`` names, as a translator would in Poedit."""
    path = root / "notebooks" / "po" / "01_tiny.zh_CN.po"
    po = polib.pofile(str(path), wrapwidth=0)
    for entry in po:
        if entry.msgctxt in texts:
            entry.msgstr = texts[entry.msgctxt]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save(str(path))


@pytest.fixture
def repo(tmp_path) -> Path:
    """A repository with one lesson, its PO file fully translated and its Chinese notebook built."""
    write_lesson(tmp_path)
    (tmp_path / "notebooks" / "po").mkdir()
    (tmp_path / "notebooks" / "po" / "terminology.tsv").write_text(TERMS, encoding="utf-8")
    translations.update(tmp_path, ["01"])
    fill(tmp_path, CHINESE)
    translations.build(tmp_path)
    return tmp_path


def chinese_notebook(root: Path) -> nbformat.NotebookNode:
    return nbformat.read(root / "notebooks" / "zh" / "01_tiny.ipynb", as_version=4)


# --- paragraphs ---


def test_paragraphs_keep_code_blocks_math_and_tables_whole_and_join_back():
    source = (
        "Intro line one\nline two.\n\n```python\nx = 1\n\ny = 2\n```\n\n$$\na\n\nb\n$$\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n\nLast."
    )
    paragraphs = translations.split_paragraphs(source)
    assert paragraphs == [
        "Intro line one\nline two.", "```python\nx = 1\n\ny = 2\n```", "$$\na\n\nb\n$$",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "Last.",
    ]  # fmt: skip
    assert translations.join_paragraphs(source, paragraphs) == source
    swapped = translations.join_paragraphs(source, ["A", *paragraphs[1:4], "B"])
    assert swapped.startswith("A\n\n```python") and swapped.endswith("\n\n\nB")
    with pytest.raises(ValueError, match="paragraphs: expected 5 for this source, got 1"):
        translations.join_paragraphs(source, ["one"])


def test_badges_and_comments_are_not_for_translation_and_the_badge_opens_the_chinese_notebook():
    assert translations.is_verbatim(BADGE) and translations.is_verbatim("<!-- a marker -->")
    assert not translations.is_verbatim(f"{BADGE} Read me.")
    assert "/blob/v1.0.0/notebooks/zh/01_tiny.ipynb)" in translations.verbatim_for_chinese(BADGE)


# --- the round trip ---


def test_the_built_notebook_has_the_english_code_and_cells_and_the_chinese_text(repo):
    english = nbformat.read(repo / "notebooks" / "01_tiny.ipynb", as_version=4)
    chinese = chinese_notebook(repo)
    assert [cell.id for cell in chinese.cells] == [cell.id for cell in english.cells]
    assert chinese.cells[0].metadata == english.cells[0].metadata
    assert chinese.cells[1].source == english.cells[1].source == "plot(x)"
    assert chinese.cells[0].source.startswith(
        f"# 01 · 小例子\n\n{BADGE.replace('notebooks/', 'notebooks/zh/')}\n\n卷积"
    )
    assert chinese.cells[1].metadata["alt"] == ["一条上升的直线"]
    assert translations.check(repo) == []
    assert translations.build(repo) == [] and translations.update(repo) == [], "nothing changed, nothing rewritten"


def test_build_refuses_an_untranslated_paragraph_and_writes_nothing(repo):
    fill(repo, {"01-002#0": ""})
    (repo / "notebooks" / "zh" / "01_tiny.ipynb").unlink()
    with pytest.raises(translations.TranslationError) as err:
        translations.build(repo)
    assert "01_tiny: cell 01-002, paragraph 0: not translated; translate it in notebooks/po/01_tiny.zh_CN.po" in str(
        err.value
    )
    assert not (repo / "notebooks" / "zh" / "01_tiny.ipynb").exists()


def test_a_changed_english_sentence_makes_its_paragraph_fuzzy_and_the_check_names_cell_and_fix(repo):
    write_lesson(repo, [TITLE.replace("a stride of 2", "a stride of 3"), "Compute $y = 3x$, see [the docs]"
                 "(https://example.org/doc) and `conv2d`."])  # fmt: skip
    problems = translations.check(repo)
    assert "01_tiny: cell 01-000, paragraph 2: the PO file does not have this English yet; run: " \
           "python tools/translations.py update 01" in problems  # fmt: skip
    assert translations.update(repo) == [repo / "notebooks" / "po" / "01_tiny.zh_CN.po"]
    entry = next(e for e in polib.pofile(str(repo / "notebooks/po/01_tiny.zh_CN.po")) if e.msgctxt == "01-000#2")
    assert entry.fuzzy and "stride of 2" in entry.previous_msgid and entry.msgstr == CHINESE["01-000#2"]
    problems = translations.check(repo)
    assert problems[0] == (
        "01_tiny: cell 01-000, paragraph 2: the English changed since it was translated (fuzzy); revise the "
        "translation in notebooks/po/01_tiny.zh_CN.po, remove its fuzzy flag, then run: "
        "python tools/translations.py build"
    )
    assert all("paragraph 2" in problem for problem in problems), "the other paragraphs stay translated"
    fill(repo, {"01-000#2": CHINESE["01-000#2"].replace("2", "3")})
    assert "01_tiny: notebooks/zh/01_tiny.ipynb is not what its English and PO file give (out of date or edited " \
           "by hand); run: python tools/translations.py build" in translations.check(repo)  # fmt: skip
    translations.build(repo)
    assert translations.check(repo) == []


def test_a_moved_paragraph_keeps_its_translation_and_a_removed_one_becomes_obsolete(repo):
    write_lesson(repo, [TITLE, "A new first paragraph.\n\nCompute $y = 3x$, see [the docs](https://example.org/doc) "
                 "and `conv2d`."])  # fmt: skip
    translations.update(repo)
    entries = {e.msgctxt: e for e in polib.pofile(str(repo / "notebooks/po/01_tiny.zh_CN.po"))}
    assert entries["01-002#1"].msgstr == CHINESE["01-002#0"] and not entries["01-002#1"].fuzzy
    assert entries["01-002#0"].msgstr == "" and "01-002#0" in entries

    write_lesson(repo, [TITLE])
    translations.update(repo)
    obsolete = [e for e in polib.pofile(str(repo / "notebooks/po/01_tiny.zh_CN.po")) if e.obsolete]
    assert [e.msgstr for e in obsolete] == [CHINESE["01-002#0"]]
    assert "01_tiny: cell 01-002, paragraph 1: obsolete entry (its English is gone); delete it from " \
           "notebooks/po/01_tiny.zh_CN.po, or run: python tools/translations.py update --no-obsolete 01" \
           in translations.check(repo)  # fmt: skip
    translations.update(repo, keep_obsolete=False)
    translations.build(repo)
    assert translations.check(repo) == []


def test_code_edited_in_the_chinese_notebook_is_caught_but_its_alt_text_is_translated(repo):
    path = repo / "notebooks" / "zh" / "01_tiny.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook["cells"][1]["source"] = ["plot(x * 2)"]
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False))
    assert translations.check(repo) == [
        "01_tiny: code cell 01-001 of notebooks/zh/01_tiny.ipynb differs from the English (code is never edited in "
        "notebooks/zh); run: python tools/translations.py build"
    ]
    write_lesson(repo, code_metadata={"tags": ["new"]})  # the English cell's metadata changed: the build is stale
    translations.build(repo)
    assert chinese_notebook(repo).cells[1].metadata == {"alt": ["一条上升的直线"], "tags": ["new"]}
    assert translations.check(repo) == []


def test_a_generated_block_is_left_out_of_the_po_file_and_written_in_chinese(repo, monkeypatch):
    block = "<!-- generated by python -m benchmarks.tables: run-time -->\n{}<!-- end of run-time -->"
    fake = lambda name, language="en": f"{language} {name}\n"  # noqa: E731
    monkeypatch.setitem(translations.tables.LESSON_RENDERERS, "run-time", fake)
    write_lesson(repo, [TITLE + "\n" + block.format("Running it takes 5 s.\n"), "More."])
    translations.update(repo, keep_obsolete=False)
    entry = next(e for e in polib.pofile(str(repo / "notebooks/po/01_tiny.zh_CN.po")) if e.msgctxt == "01-000#2")
    assert entry.msgid.endswith("2.\n" + block.format("")), "the block's body is not for translators"
    fill(repo, {"01-000#2": CHINESE["01-000#2"] + "\n" + block.format(""), "01-002#0": "更多。"})
    translations.build(repo)
    assert chinese_notebook(repo).cells[0].source.endswith(block.format("zh 01_tiny.ipynb\n"))
    write_lesson(repo, [TITLE + "\n" + block.format("Running it takes 9 s.\n"), "More."])  # re-timed
    assert translations.check(repo) == [], "a re-timed English lesson needs no new translation"


# --- what a translation must keep ---


@pytest.mark.parametrize(
    ("translation", "problem"),
    [
        ("计算 $y = 2x$，见 [文档](https://example.org/doc) 和 `conv2d`。", "lacks the LaTeX expression $y = 3x$"),
        ("计算 $y = 3x$，见 [文档](https://example.org/other) 和 `conv2d`。", "lacks the link target https://example.org/doc"),
        ("计算 $y = 3x$，见 [文档](https://example.org/doc) 和 `conv1d`。", "lacks the inline code span `conv2d`"),
        ("计算 $y = 3x$，见 [文档](https://example.org/doc) 和 `conv2d`，共 4 步。",
         "has the number 4 that the English lacks"),
    ],
)  # fmt: skip
def test_a_translation_that_changes_math_links_code_or_numbers_is_caught(repo, translation, problem):
    fill(repo, {"01-002#0": translation})
    assert translations.check(repo)[0] == (
        f"01_tiny: cell 01-002, paragraph 0: the translation {problem}; fix it in notebooks/po/01_tiny.zh_CN.po, "
        "then run: python tools/translations.py build"
    )


def test_a_lost_number_is_caught():
    assert translations.protected_problems("It has a stride of 2 and 0.93 accuracy.", "它的步幅是 2。") == [
        "lacks the number 0.93"
    ]
    assert translations.protected_problems("Code `x[3]` and 3 more.", "代码 `x[3]` 和另外 3 个。") == []


@pytest.mark.parametrize(
    ("chinese", "problem"),
    [
        ("卷积（convolution）让卷积核滑过图像。\n它的步长（stride）是 2。",
         "uses 步长, rejected for 'stride': write 步幅"),
        ("卷积（convolution）让卷积核滑过图像。\n它的跨度是 2。",
         "the English says 'stride' but the translation never says 步幅"),
        ("卷积让卷积核滑过图像。\n它的步幅（stride）是 2。", "卷积 is never followed by its English in parentheses"),
    ],
)  # fmt: skip
def test_the_terminology_is_enforced(repo, chinese, problem):
    fill(repo, {"01-000#2": chinese})
    assert any(problem in line for line in translations.check(repo)), translations.check(repo)


def test_a_malformed_terminology_row_is_named_by_line(tmp_path):
    path = tmp_path / "terms.tsv"
    path.write_text("english\tchinese\trejected\twhy\nconvolution\t卷积\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"terms.tsv:2: expected 4 tab-separated columns, got 2"):
        translations.load_terminology(path)


def test_the_command_line_exits_1_naming_the_problems(repo, capsys):
    fill(repo, {"01-002#0": ""})
    assert translations.main(["--root", str(repo), "check"]) == 1
    assert "01_tiny: cell 01-002, paragraph 0: not translated" in capsys.readouterr().out
    assert translations.main(["--root", str(repo), "update", "99"]) == 1
    assert "update: expected lesson numbers among ['01'], got ['99']" in capsys.readouterr().err


# --- the real course ---


def test_every_lesson_has_a_complete_up_to_date_chinese_edition():
    english = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(path.name for path in (ROOT / "notebooks" / "zh").glob("*.ipynb")) == english
    problems = translations.check(ROOT)
    assert problems == [], "\n".join(problems)


def test_one_changed_english_sentence_fails_the_check_naming_the_cell_and_the_fix(tmp_path):
    """The suite's guard, proven on a copy of the real course: edit one English sentence, nothing else."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    path = tmp_path / "notebooks" / "02_pooling.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = next(cell for cell in notebook["cells"] if cell["cell_type"] == "markdown" and cell["id"] != "02-000")
    cell["source"][-1] += " One more sentence."
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = translations.check(tmp_path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"02_pooling: cell {cell['id']}, paragraph ")
    assert problems[0].endswith(
        "the PO file does not have this English yet; run: python tools/translations.py update 02"
    )


def test_a_rejected_term_in_the_chinese_readme_is_caught(repo):
    (repo / "README.zh-CN.md").write_text("# 课程\n\n最大汇聚……\n\n卷积的步长为 2。\n", encoding="utf-8")
    (repo / "notebooks" / "po" / "terminology.tsv").write_text(TERMS + "pooling\t池化\t汇聚\twhy\n", encoding="utf-8")
    problems = translations.check(repo)
    assert "README.zh-CN.md: uses 步长, rejected for 'stride': write 步幅 (edit README.zh-CN.md)" in problems
    assert "README.zh-CN.md: uses 汇聚, rejected for 'pooling': write 池化 (edit README.zh-CN.md)" in problems


def test_jupyterlab_finds_the_chinese_language_pack_that_the_chinese_readme_names():
    # JupyterLab comes with requirements.txt; the floor and drift checks install the course without it.
    translation_utils = pytest.importorskip("jupyterlab_server.translation_utils")
    get_language_packs = translation_utils.get_language_packs

    packs, _ = get_language_packs("en")
    assert "zh_CN" in packs and packs["zh_CN"]["nativeName"].startswith("中文"), sorted(packs)
    pinned = next(line for line in (ROOT / "requirements-dev.txt").read_text().splitlines() if "language-pack" in line)
    assert f"pip install {pinned}" in (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
