"""The course website (tools/build_site.py): its steps on tiny notebooks, then every built page opened
in headless Chromium, at a phone's width and a projector's, with a screenshot of each for a human.

The browser tests render the whole site into _build/pytest/ from the session's one run of each lesson
(the ``lesson_runs`` fixture, in the test profile: smoke unless ``COURSE_PROFILE`` says otherwise) with
``tools/build_site.py --executed``. ``COURSE_SITE_DIR=_build/site`` checks a site built already instead.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tests.notebook_utils import EDITION, KERNEL, ROOT, build_site_tool

build_site = build_site_tool()
LESSONS = build_site.find_lessons()
LANGUAGES = {language.code: language for language in build_site.LANGUAGES}
# Every page of the site: (file name, the lesson or None for the index, its language).
SITE_PAGES = [(build_site.index_page(language), None, language) for language in build_site.LANGUAGES] + [
    (lesson.page_in(language), lesson, language) for lesson in LESSONS for language in build_site.LANGUAGES
]
PAGES = [name for name, _, _ in SITE_PAGES]
WIDTHS = {"phone": 375, "projector": 1920}


# --- the steps, on tiny notebooks ---


def test_find_lessons_takes_every_notebook_in_course_order(tmp_path):
    for name in ["02_b.ipynb", "00_a.ipynb", "10_c.ipynb"]:
        (tmp_path / name).write_text("{}")
    lessons = build_site.find_lessons(tmp_path)
    assert [lesson.path.name for lesson in lessons] == ["00_a.ipynb", "02_b.ipynb", "10_c.ipynb"]
    assert lessons[2].page == "10_c.html" and lessons[2].number == "10"
    with pytest.raises(build_site.BuildError, match="no notebooks"):
        build_site.find_lessons(tmp_path / "empty")


def test_page_links_chain_the_lessons_and_point_at_the_release():
    lessons = [build_site.Lesson(Path(f"notebooks/0{i}_x.ipynb")) for i in range(3)]
    first, middle, last = (build_site.page_links(lessons, i, "https://github.com/o/n", "v1.2.3") for i in range(3))
    assert first["previous"] is None and first["next"] == "01_x.html"
    assert middle["previous"] == "00_x.html" and middle["next"] == "02_x.html"
    assert middle["slides"] == "01_x.slides.html"
    assert last["next"] is None
    assert middle["colab"] == "https://colab.research.google.com/github/o/n/blob/v1.2.3/notebooks/01_x.ipynb"
    assert middle["source"] == "https://github.com/o/n/blob/v1.2.3/notebooks/01_x.ipynb"
    assert middle["language"] == {"href": "01_x.zh-CN.html", "code": "zh-CN", "label": "中文"}
    chinese = build_site.page_links(lessons, 1, "https://github.com/o/n", "v1.2.3", build_site.CHINESE)
    assert chinese["previous"] == "00_x.zh-CN.html" and chinese["slides"] == "01_x.zh-CN.slides.html"
    assert chinese["home"] == "index.zh-CN.html" and chinese["language"]["href"] == "01_x.html"
    assert chinese["colab"] == "https://colab.research.google.com/github/o/n/blob/v1.2.3/notebooks/zh/01_x.ipynb"


def test_course_map_comes_from_the_readme_with_links_to_pages():
    readme = "# Title\n\nIntro text.\n\n## Course map\n\n| lesson |\n|---|\n| [00](notebooks/00_a.ipynb) |\n\n## Next\n"
    page = build_site.course_map(readme, [build_site.Lesson(Path("notebooks/00_a.ipynb"))])
    assert page.startswith("# Title\n\nIntro text.\n\n## Course map")
    assert "[00](00_a.html)" in page and "notebooks/" not in page and "## Next" not in page
    with pytest.raises(build_site.BuildError, match="Course map"):
        build_site.course_map("# Title\n\nIntro.\n", [])


@pytest.mark.parametrize("language", build_site.LANGUAGES, ids=lambda language: language.code)
def test_the_real_readme_map_links_every_lesson_page(language):
    page = build_site.course_map((ROOT / language.readme).read_text(encoding="utf-8"), LESSONS, language)
    assert [f"({lesson.page_in(language)})" in page for lesson in LESSONS] == [True] * len(LESSONS)


def test_the_chinese_page_takes_the_chinese_text_and_keeps_the_outputs_as_they_ran(tmp_path, monkeypatch):
    english = new_notebook(cells=[new_markdown_cell("# Title", id="c1"), new_code_cell("f()", id="c2")])
    english.cells[1].outputs = [new_output("stream", name="stdout", text="ran\n")]
    chinese = new_notebook(
        cells=[new_markdown_cell("# 标题", id="c1"), new_code_cell("f()", id="c2", metadata={"alt": ["图"]})]
    )
    (tmp_path / "zh").mkdir()
    path = tmp_path / "zh" / "01_x.ipynb"
    nbformat.write(chinese, path)
    page = build_site.with_text_of(english, path)
    assert page.cells[0].source == "# 标题" and page.cells[1].outputs[0].text == "ran\n"
    assert page.cells[1].metadata["alt"] == ["图"] and english.cells[0].source == "# Title"
    chinese.cells[1].source = "g()"
    nbformat.write(chinese, path)
    with pytest.raises(
        build_site.BuildError,
        match="zh/01_x.ipynb: cell c2 is not the one that ran; run: python tools/translations.py build",
    ):
        build_site.with_text_of(english, path)
    path.unlink()
    with pytest.raises(
        build_site.BuildError, match="zh/01_x.ipynb is missing; run: python tools/translations.py build"
    ):
        build_site.with_text_of(english, path)


def test_freeze_widgets_keeps_what_the_output_widget_showed():
    figure = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}
    state = {
        "box": {"state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_out"]}},
        "slider": {"state": {"value": 1}},
        "out": {"state": {"outputs": [figure]}},
    }
    view_data = {build_site.WIDGET_VIEW: {"model_id": "box"}, "text/plain": "interactive(...)"}
    view = new_output("display_data", data=view_data)
    printed = new_output("stream", name="stdout", text="hi\n")
    notebook = new_notebook(cells=[new_code_cell("interact(f)", outputs=[printed, view])])
    notebook.metadata["widgets"] = {build_site.WIDGET_STATE: {"state": state}}
    build_site.freeze_widgets(notebook)
    outputs = notebook.cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream", "display_data"] and outputs[1].data["image/png"] == "iVBOR"
    assert "widgets" not in notebook.metadata


def test_figures_become_html_images_with_the_cells_alt_text():
    gif = new_output("execute_result", data={"image/gif": "R0lGOD\n", "text/plain": "<Image>"}, execution_count=1)
    png = new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"})
    printed = new_output("stream", name="stdout", text="hi\n")
    cell = new_code_cell("show()", id="07-001", outputs=[gif, printed, png], metadata={"alt": ['A "boot"', "Two bars"]})
    notebook = new_notebook(cells=[cell])
    build_site.figures_with_alt(notebook, "07_x.ipynb")
    data = [output.get("data") for output in notebook.cells[0].outputs]
    assert data[0] == {
        "text/html": '<img class="course-figure" alt="A &quot;boot&quot;" src="data:image/gif;base64,R0lGOD">'
    }
    assert data[1] is None and data[2] == {
        "text/html": '<img class="course-figure" alt="Two bars" src="data:image/png;base64,iVBOR">'
    }


def test_one_alt_text_describes_every_figure_of_its_cell():
    outputs = [new_output("display_data", data={"image/png": f"P{i}"}) for i in range(3)]
    notebook = new_notebook(
        cells=[new_code_cell("for p in photos: show(p)", outputs=outputs, metadata={"alt": ["A photo"]})]
    )
    build_site.figures_with_alt(notebook, "04_x.ipynb")
    assert [o.data["text/html"].count('alt="A photo"') for o in notebook.cells[0].outputs] == [1, 1, 1]


@pytest.mark.parametrize("alts", [None, [], ["one", "two"], [""]])
def test_a_figure_without_its_alt_text_fails_the_build_naming_the_cell(alts):
    outputs = [new_output("display_data", data={"image/png": f"P{i}"}) for i in range(3)]
    cell = new_code_cell("show()", id="03-019", outputs=outputs, metadata={} if alts is None else {"alt": alts})
    with pytest.raises(
        build_site.BuildError, match=r"^03_x.ipynb: cell 03-019 shows 3 figure\(s\), and its metadata 'alt'"
    ):
        build_site.figures_with_alt(new_notebook(cells=[cell]), "03_x.ipynb")


def test_strip_badges_and_random_weights_marker():
    badge = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://x)"
    notebook = new_notebook(cells=[new_markdown_cell(f"# 04 · Title\n\n{badge}\n\nText."), new_code_cell("m()")])
    build_site.strip_badges(notebook)
    assert notebook.cells[0].source == "# 04 · Title\n\nText."
    assert not build_site.uses_random_weights(notebook)
    notebook.cells[1].outputs = [new_output("stream", name="stdout", text="!! VGG16 with RANDOM weights (x).\n")]
    assert build_site.uses_random_weights(notebook)


def test_a_failing_cell_fails_the_build_naming_notebook_and_cell(tmp_path):
    path = tmp_path / "07_broken.ipynb"
    cells = [new_code_cell("x = 1", id="07-001"), new_markdown_cell("text"), new_code_cell("x / 0", id="07-003")]
    nbformat.write(new_notebook(cells=cells, metadata=KERNEL), path)
    with pytest.raises(build_site.BuildError) as err:
        build_site.execute(build_site.Lesson(path), timeout=60)
    message = str(err.value)
    assert message.startswith("07_broken.ipynb: cell 07-003 (code cell 2) failed") and "ZeroDivisionError" in message
    assert not any(cell.get("outputs") for cell in nbformat.read(path, as_version=4).cells), "notebook left untouched"


def test_the_publishing_workflow_runs_only_the_local_command():
    workflow = (ROOT / ".github" / "workflows" / "site.yml").read_text()
    commands = re.findall(r"^\s+- run: (.+)$", workflow, re.MULTILINE)
    assert commands == ["pip install -r requirements-dev.txt", "python tools/build_site.py --profile full"]
    assert "path: _build/site" in workflow and 'tags: ["v*"]' in workflow
    assert "python tools/build_site.py" in (ROOT / "README.md").read_text()


def test_unknown_lesson_numbers_are_refused_by_name(capsys):
    assert build_site.main(["--notebooks", "99", "--out", "/nonexistent"]) == 1
    assert "--notebooks: expected lesson numbers among ['00'" in capsys.readouterr().err


def test_the_site_renders_from_executed_notebooks_as_they_ran(tmp_path, monkeypatch):
    path = tmp_path / "00_tiny.ipynb"
    cells = [
        new_markdown_cell("# 00 · Tiny", id="00-001"),
        new_code_cell("print('!! VGG16 with RANDOM weights')", id="00-002"),
    ]
    nbformat.write(new_notebook(cells=cells, metadata=KERNEL), path)
    (tmp_path / "zh").mkdir()
    chinese = [new_markdown_cell("# 00 · 小课", id="00-001"), cells[1]]
    nbformat.write(new_notebook(cells=chinese, metadata=KERNEL), tmp_path / "zh" / path.name)
    lesson, executed = build_site.Lesson(path), tmp_path / "executed"
    build_site.Execution("smoke", dict(os.environ), "no weights here").run(lesson, executed, timeout=60)

    monkeypatch.setattr(build_site, "execute", None)  # rendering runs nothing
    site = build_site.render_site([lesson], [lesson], executed, tmp_path, build_site.ensure_assets())
    page = (site / "00_tiny.html").read_text()
    assert "without VGG16's ImageNet weights (no weights here)" in page and "in the smoke profile with" in page
    assert (site / "00_tiny.slides.html").is_file() and (site / "index.html").is_file()
    page = (site / "00_tiny.zh-CN.html").read_text()
    assert '<html lang="zh-CN">' in page and "00 · 小课" in page and "以 smoke 配置执行" in page
    assert "没有 VGG16 的 ImageNet 权重（no weights here）" in page and 'href="00_tiny.html"' in page
    assert (site / "00_tiny.zh-CN.slides.html").is_file() and (site / "index.zh-CN.html").is_file()
    languages = json.loads((site / "pagefind" / "pagefind-entry.json").read_text())["languages"]
    assert sorted(languages) == ["en", "zh-cn"], "one search index per language"

    cells[0].source = "# 00 · Changed since it ran"
    nbformat.write(new_notebook(cells=cells, metadata=KERNEL), path)
    with pytest.raises(build_site.BuildError, match="not executed by this tool from the current 00_tiny.ipynb"):
        build_site.render_site([lesson], [lesson], executed, tmp_path, build_site.ensure_assets())
    (executed / path.name).unlink()
    with pytest.raises(build_site.BuildError, match="00_tiny.ipynb is missing; build without --executed"):
        build_site.read_executed(lesson, executed)


def test_executed_notebooks_come_with_their_profile(capsys):
    with pytest.raises(SystemExit):
        build_site.main(["--executed", "_build/executed", "--profile", "full"])
    assert "not allowed with argument" in capsys.readouterr().err


# --- the built site, in a real browser ---


@pytest.fixture(scope="module")
def site(lesson_runs) -> Path:
    chosen = os.environ.get("COURSE_SITE_DIR")
    if chosen:
        return Path(chosen)
    if EDITION != "en":
        pytest.skip("the website is built from the English run of the lessons (COURSE_EDITION=en)")
    executed = lesson_runs.executed_folder()  # fails naming each lesson that failed
    out = executed.parent
    command = [sys.executable, str(ROOT / "tools" / "build_site.py"), "--executed", str(executed), "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return out / "site"


@pytest.fixture(scope="module")
def server(site):
    """The site over HTTP, as GitHub Pages serves it (file:// pages may not load their fonts)."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert chromium, "the browser tests need Chromium: sudo apt-get install chromium (or set CHROMIUM=/path)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


def open_page(browser, url: str, width: int):
    """The page at ``url`` after MathJax finished, and the errors the browser reported on the way."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems = []
    page.on("pageerror", lambda err: problems.append(f"script error: {err}"))
    page.on("requestfailed", lambda req: problems.append(f"failed to load {req.url}"))
    page.on("response", lambda res: problems.append(f"{res.status} for {res.url}") if res.status >= 400 else None)
    # The console repeats failed loads without their address (the browser's own favicon request among
    # them); the two listeners above report the page's, by address.
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)  # fmt: skip
    page.goto(url, wait_until="load")
    page.evaluate("() => new Promise(done => window.MathJax ? MathJax.Hub.Queue(() => done(true)) : done(false))")
    return page, problems


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize(("name", "lesson", "language"), SITE_PAGES, ids=PAGES)
def test_page_reads_well_in_a_browser(browser, server, site, name, lesson, language, width):
    page, problems = open_page(browser, f"{server}/{name}", width)
    shots = site.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / f"{Path(name).stem}-{width}.png"), full_page=True)

    images = page.eval_on_selector_all("img", "els => els.map(e => [e.alt || e.src.slice(0, 40), e.naturalWidth])")
    assert [alt for alt, natural_width in images if natural_width == 0] == [], "images that did not load"
    no_alt = page.eval_on_selector_all("img", "els => els.filter(e => !(e.getAttribute('alt') || '').trim()).length")
    assert no_alt == 0, f"{no_alt} image(s) without alt text"
    assert page.evaluate("document.documentElement.lang") == language.code
    if lesson is not None:
        shown = page.locator(".jp-OutputArea-output img").count()
        assert shown == _image_outputs(site.parent / "executed" / lesson.path.name), "figures missing"
    assert problems == []

    prose = page.eval_on_selector_all(".jp-RenderedMarkdown", "els => els.map(e => e.innerText).join('\\n')")
    source = json.dumps([cell.source for cell in _markdown_cells(lesson, language)])
    if "$" in source:
        assert page.locator(".MathJax_CHTML").count() > 0, "math was not rendered"
    assert re.findall(r"\$\$|\$\\", prose) == [], "raw TeX left in the text"

    errors = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
    assert errors.count() == 0, errors.first.inner_text()[:500]
    assert "Traceback (most recent call last)" not in page.inner_text("body")

    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
    page.close()


def _image_outputs(executed: Path) -> int:
    """How many figures and animations the executed notebook holds (a frozen widget's included)."""
    notebook = nbformat.read(executed, as_version=4)
    build_site.freeze_widgets(notebook)
    images = {"image/png", "image/jpeg", "image/gif"}
    return sum(
        bool(images & set(output.get("data", {}))) for cell in notebook.cells for output in cell.get("outputs", [])
    )


def _markdown_cells(lesson, language) -> list:
    if lesson is None:
        return []
    path = lesson.path.parent / language.subfolder / lesson.path.name
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"]


@pytest.mark.parametrize("language", build_site.LANGUAGES, ids=LANGUAGES.keys())
@pytest.mark.parametrize("index", range(len(LESSONS)), ids=[lesson.number for lesson in LESSONS])
def test_navigation_links_work(browser, server, index, language):
    lesson, other = LESSONS[index], build_site.other_language(language)
    page, _ = open_page(browser, f"{server}/{lesson.page_in(language)}", 1920)
    nav = page.locator(".course-nav").first
    local = [href for href in nav.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
             if not href.startswith("https://")]  # fmt: skip
    neighbours = [LESSONS[i].page_in(language) for i in (index - 1, index + 1) if 0 <= i < len(LESSONS)]
    assert local == [build_site.index_page(language), *neighbours, lesson.slides_in(language), lesson.page_in(other)]
    assert all(page.request.get(f"{server}/{href}").ok for href in local)
    colab = nav.get_by_text(language.labels["colab"]).get_attribute("href")
    assert colab.endswith(f"/{language.notebooks}/{lesson.path.name}")
    page.close()


@pytest.mark.parametrize("language", build_site.LANGUAGES, ids=LANGUAGES.keys())
def test_index_links_every_lesson(browser, server, language):
    page, _ = open_page(browser, f"{server}/{build_site.index_page(language)}", 1920)
    hrefs = page.locator(".jp-RenderedMarkdown a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    pages = [lesson.page_in(language) for lesson in LESSONS]
    assert [name for name in pages if name in hrefs] == pages
    page.close()


SEARCHES = [
    (build_site.ENGLISH, "stride", "01"),
    (build_site.CHINESE, "步幅", "01"),
    (build_site.CHINESE, "感受野", "03"),
]


@pytest.mark.parametrize(("language", "term", "number"), SEARCHES, ids=[term for _, term, _ in SEARCHES])
def test_search_finds_the_lesson_that_teaches_a_term_in_its_language(browser, server, language, term, number):
    """Pagefind, served as a reader serves the folder offline: typing a term lists the lesson that teaches it among
    the first results, and only pages of the language searched."""
    lesson = next(lesson for lesson in LESSONS if lesson.number == number)
    page, problems = open_page(browser, f"{server}/{build_site.index_page(language)}", 1920)
    page.fill(".pagefind-ui__search-input", term)
    links = "() => [...document.querySelectorAll('.pagefind-ui__result-link')].map(a => a.getAttribute('href'))"
    try:  # the results arrive one by one
        page.wait_for_function(
            f"name => ({links})().some(href => href.endsWith('/' + name))", arg=lesson.page_in(language)
        )
    except Exception:  # noqa: BLE001 (playwright's TimeoutError): say what came instead
        pytest.fail(f"searching {term!r} did not list {lesson.page_in(language)}; it listed {page.evaluate(links)}")
    found = [href.lstrip("/") for href in page.evaluate(links)]
    in_chinese = [name.endswith(f"{build_site.CHINESE.suffix}.html") for name in found if name]
    assert in_chinese == [language is build_site.CHINESE] * len(in_chinese), f"only this language's pages: {found}"
    excerpts = page.eval_on_selector_all(".pagefind-ui__result-excerpt", "els => els.map(e => e.innerText)")
    assert not any(re.search("[\u4e00-\u9fff] [\u4e00-\u9fff]", text) for text in excerpts), excerpts
    assert problems == []
    page.close()


@pytest.mark.parametrize("language", build_site.LANGUAGES, ids=LANGUAGES.keys())
@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.number for lesson in LESSONS])
def test_slides_start(browser, server, lesson, language):
    page, problems = open_page(browser, f"{server}/{lesson.slides_in(language)}", 1920)
    page.wait_for_selector(
        ".reveal.ready", timeout=20_000
    )  # reveal.js marks itself ready (it loads through require.js)
    assert page.locator(".reveal .slides > section").count() > 1
    assert problems == []
    page.close()
