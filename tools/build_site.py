"""Build the course website: every lesson executed, as a web page with its figures and as slides.

    python tools/build_site.py                    # live profile, into _build/site/
    python tools/build_site.py --profile full     # the publication build
    python tools/build_site.py --notebooks 01 03  # only these lessons (the index still lists all)
    python tools/build_site.py --executed _build/executed  # the pages again, from lessons executed already

1. The browser assets (MathJax, reveal.js, require.js, jQuery) come from npm, pinned in package.json and
   package-lock.json; ``npm ci`` runs when node_modules/ is missing or older than the lockfile. The site
   serves them itself, so its pages work offline.
2. Each notebook in notebooks/ runs top to bottom with nbclient into _build/executed/; notebooks/ is
   left untouched. A cell error fails the build and names the notebook and the cell. Each executed
   notebook records what its page states (profile, date, versions, random VGG16 weights), so that
   ``--executed`` can render the site again, or from the test suite's run, without executing anything.
3. nbconvert writes _build/site/: index.html from the README's course map, one page per lesson (its
   outputs, figures, GIF and math, links to Colab, the source and the neighbouring lessons) and one
   reveal.js slideshow per lesson, each in English and in Chinese (index.zh-CN.html from
   README.zh-CN.md, NN_name.zh-CN.html with the text of notebooks/zh/ and the outputs of the one English
   run: the code is the same). Each page links to itself in the other language, and every figure gets
   the alt text of its cell's metadata. Pagefind indexes the pages of each language for the search box.
   The site is assembled in a staging folder and replaces the old one only when complete.

Without the VGG16 ImageNet weights, lesson 04 runs with random weights, as in CI, and its page says so.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import hashlib
import html
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a clone, where helpers/ may not be installed

from helpers import colab  # noqa: E402
from helpers.files import atomic_write  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "site"
STATIC = "_static"
MATHJAX_URL = f"{STATIC}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
# What MathJax 2 needs for nbconvert's configuration (TeX in, CommonHTML out); the rest of the package
# (other output formats and font formats, the unpacked sources) is 60 MB the pages never load.
MATHJAX_PARTS = ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/input/TeX",
                 "jax/element", "jax/output/CommonHTML", "fonts/HTML-CSS/TeX/woff", "localization/en"]  # fmt: skip
RANDOM_WEIGHTS_MARKER = "VGG16 with RANDOM weights"  # printed by helpers.models when it builds random VGG16
RANDOM_WEIGHTS_BANNER = (
    "This page was built without VGG16's ImageNet weights ({reason}), so VGG16 ran with random weights "
    "and its predictions below are meaningless. Open the lesson in Colab, where Keras downloads the "
    "weights, to see real ones."
)
# The executed notebook's metadata key for how it ran: its page's footer and why VGG16 had random weights.
RUN_RECORD = "course_site_run"
ALT = "alt"  # a code cell's metadata key: what each figure it shows is, for a reader who cannot see it
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class BuildError(RuntimeError):
    """A notebook failed, or the tools the build needs are missing."""


@dataclass(frozen=True)
class Language:
    """One language of the site: its pages' names, its README and the words of its page furniture."""

    code: str  # the pages' <html lang>
    suffix: str  # "01_convolution{suffix}.html"
    subfolder: str  # where its notebooks are, inside the English lessons' folder
    notebooks: str  # the same, relative to the repository (for links)
    readme: str
    course_map: str  # the README heading whose table is the index page
    switch: str  # the link to this language, in this language
    labels: dict[str, str]
    banner: str
    footer: str


ENGLISH = Language(
    "en", "", "", "notebooks", "README.md", "Course map", "English",
    {"home": "Course home", "previous": "\u2190 Previous lesson", "next": "Next lesson \u2192",
     "colab": "Open in Colab", "source": "Source notebook", "slides": "Slides", "search": "Search the course"},
    RANDOM_WEIGHTS_BANNER,
    "Executed on {day} in the {profile} profile with {versions}, Python {python}.",
)  # fmt: skip
CHINESE = Language(
    "zh-CN", ".zh-CN", "zh", "notebooks/zh", "README.zh-CN.md", "课程地图", "中文",
    {"home": "课程首页", "previous": "\u2190 上一课", "next": "下一课 \u2192", "colab": "在 Colab 中打开",
     "source": "源笔记本", "slides": "幻灯片", "search": "搜索课程"},
    "本页面构建时没有 VGG16 的 ImageNet 权重（{reason}），所以 VGG16 用的是随机权重，下面的预测没有意义。"
    "在 Colab 中打开本课，Keras 会下载权重，你就能看到真实的预测。",
    "{day} 以 {profile} 配置执行，使用 {versions}、Python {python}。",
)  # fmt: skip
LANGUAGES = (ENGLISH, CHINESE)


@dataclass(frozen=True)
class Lesson:
    """One notebook and the names of its pages in the site."""

    path: Path

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def number(self) -> str:
        return self.stem.split("_", 1)[0]

    @property
    def page(self) -> str:
        return self.page_in(ENGLISH)

    @property
    def slides(self) -> str:
        return self.slides_in(ENGLISH)

    def page_in(self, language: Language) -> str:
        return f"{self.stem}{language.suffix}.html"

    def slides_in(self, language: Language) -> str:
        return f"{self.stem}{language.suffix}.slides.html"


def find_lessons(notebooks: Path = NOTEBOOKS) -> list[Lesson]:
    """Every notebook in ``notebooks``, in course order (their names start with the lesson number)."""
    lessons = [Lesson(path) for path in sorted(notebooks.glob("*.ipynb"))]
    if not lessons:
        raise BuildError(f"no notebooks in {notebooks}")
    return lessons


def ensure_assets(root: Path = ROOT) -> Path:
    """node_modules/ as package-lock.json pins it, running ``npm ci`` when it is missing or stale."""
    lock = root / "package-lock.json"
    stamp = root / "node_modules" / ".course-lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if not stamp.is_file() or stamp.read_text() != digest:
        npm = shutil.which("npm")
        if npm is None:
            raise BuildError("npm is missing: install Node.js (Debian: sudo apt-get install nodejs npm)")
        print("installing the browser assets: npm ci", flush=True)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
        atomic_write(stamp, digest)
    return root / "node_modules"


def copy_assets(node_modules: Path, static: Path) -> None:
    """The parts of the npm packages that the pages load, plus the course's stylesheet."""
    for part in MATHJAX_PARTS:
        source, target = node_modules / "mathjax" / part, static / "mathjax" / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    for part in ["dist", "plugin/notes"]:
        shutil.copytree(node_modules / "reveal.js" / part, static / "reveal.js" / part)
    shutil.copy2(node_modules / "requirejs" / "require.js", static / "require.js")
    shutil.copy2(node_modules / "jquery" / "dist" / "jquery.min.js", static / "jquery.min.js")
    shutil.copy2(TEMPLATES / "course.css", static / "course.css")
    shutil.copy2(TEMPLATES / "course-search.js", static / "course-search.js")


def random_weights_reason() -> str | None:
    """Why lesson 04 will run with random VGG16 weights, or None when the real ones are at hand.

    Asks ``helpers.weights.get_weights`` (which downloads them where the network allows) in the build's
    profile; when they cannot be had, the notebooks run with ``COURSE_VGG16_WEIGHTS=random``.
    """
    from helpers import weights

    try:
        source = weights.get_weights()
    except weights.WeightsUnavailableError:
        return "none could be had where this site was built"
    return source if isinstance(source, str) else None


@dataclass(frozen=True)
class Execution:
    """How the lessons run: in one profile, their kernels in ``env``, VGG16 with random weights when
    ``random_weights`` says why (None: the ImageNet weights are at hand)."""

    profile: str
    env: dict[str, str]
    random_weights: str | None

    @classmethod
    def prepare(cls, profile: str) -> Execution:
        """This process's environment with ``COURSE_PROFILE=profile`` and ``COURSE_STATIC=1`` (no widgets:
        see :func:`helpers.live.widgets_wanted`), plus ``COURSE_VGG16_WEIGHTS=random``
        when :func:`random_weights_reason` finds no weights; ``os.environ`` itself is left as it was."""
        with mock.patch.dict(os.environ, {"COURSE_PROFILE": profile}):  # helpers.weights reads the profile there
            reason = random_weights_reason()
        env = {**os.environ, "COURSE_PROFILE": profile, "COURSE_STATIC": "1"}  # a page has no live widgets
        if reason:
            env["COURSE_VGG16_WEIGHTS"] = "random"
        return cls(profile, env, reason)

    def run(self, lesson: Lesson, executed: Path, timeout: int) -> nbformat.NotebookNode:
        """``lesson`` executed, with its run record, and written to ``executed/<its name>`` atomically."""
        notebook = execute(lesson, timeout, self.env)
        notebook.metadata[RUN_RECORD] = {"run": run_facts(self.profile), "random_weights": self.random_weights}
        executed.mkdir(parents=True, exist_ok=True)
        atomic_write(executed / lesson.path.name, nbformat.writes(notebook))
        return notebook


def execute(lesson: Lesson, timeout: int, env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """``lesson`` run top to bottom in a fresh kernel whose environment is ``env`` (default: this one's)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(lesson.path, as_version=4)
    quiet = ["--IPKernelApp.log_level=ERROR"]  # no warning per kernel about its TCP connection
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", extra_arguments=quiet,
                            resources={"metadata": {"path": str(lesson.path.parent)}})  # fmt: skip
    try:
        client.execute(env=dict(os.environ) if env is None else env)  # jupyter_client starts the kernel with it
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        raise BuildError(f"{lesson.path.name}: {describe_failure(notebook)} failed\n{err}") from None
    return notebook


def describe_failure(notebook: nbformat.NotebookNode) -> str:
    """Names the cell that raised, or the last cell that ran (a timeout): "cell 05-012 (code cell 7)"."""
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    executed = [cell for cell in code_cells if cell.get("execution_count")]
    failed = [cell for cell in code_cells if any(out.output_type == "error" for out in cell.get("outputs", []))]
    cell = (failed or executed or code_cells)[-1]
    return f"cell {cell.get('id', '?')} (code cell {code_cells.index(cell) + 1})"


def freeze_widgets(notebook: nbformat.NotebookNode) -> None:
    """Replace each widget's output by what its Output widgets showed when it ran.

    A static page has no kernel to move a slider, so the reader gets the figure of the first setting,
    not controls that do nothing. The saved widget state is dropped afterwards.
    """
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})

    def shown_by(model_id: str) -> list:
        model = state.get(model_id, {}).get("state", {})
        outputs = list(model.get("outputs", []))
        for child in model.get("children", []):
            outputs += shown_by(child.removeprefix("IPY_MODEL_"))
        return outputs

    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            outputs += [nbformat.from_dict(o) for o in shown_by(view["model_id"])] if view else [output]
        if cell.cell_type == "code":
            cell.outputs = outputs
    notebook.metadata.pop("widgets", None)


IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")


def figures_with_alt(notebook: nbformat.NotebookNode, name: str) -> None:
    """Show every figure (PNG, JPEG, and GIF, which nbconvert does not render) as an HTML image whose alt
    text is the cell's ``metadata.alt``: one string per figure, or one for every figure the cell shows.

    nbconvert's templates write ``<img>`` without ``alt``; a reader who cannot see the figure gets nothing.

    Raises:
        BuildError: naming the notebook ``name`` and the cell, when a figure has no alt text.
    """
    for cell in notebook.cells:
        outputs = [o for o in cell.get("outputs", []) if any(t in o.get("data", {}) for t in IMAGE_TYPES)]
        alts = cell.get("metadata", {}).get(ALT, [])
        if not outputs:
            continue
        if len(alts) not in (1, len(outputs)) or not all(isinstance(a, str) and a.strip() for a in alts):
            raise BuildError(
                f"{name}: cell {cell.get('id', '?')} shows {len(outputs)} figure(s), and its metadata "
                f"'{ALT}' has {len(alts)} description(s); expected one per figure, or one for all "
                f"(a list of non-empty strings in the English notebook, translated in notebooks/po)"
            )
        for index, output in enumerate(outputs):
            kind = next(t for t in IMAGE_TYPES if t in output.data)
            data = "".join(output.data.pop(kind).split())
            alt = html.escape(alts[index if len(alts) > 1 else 0], quote=True)
            output.data.pop("text/plain", None)  # "<Figure size ...>" under the image says nothing
            output.data["text/html"] = f'<img class="course-figure" alt="{alt}" src="data:{kind};base64,{data}">'


def strip_badges(notebook: nbformat.NotebookNode) -> None:
    """Remove the Colab badge: the page's own header links to Colab (and the badge is an online image)."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"\n{3,}", "\n\n", colab.BADGE_PATTERN.sub("", cell.source))


def uses_random_weights(notebook: nbformat.NotebookNode) -> bool:
    return any(RANDOM_WEIGHTS_MARKER in output.get("text", "")
               for cell in notebook.cells for output in cell.get("outputs", []))  # fmt: skip


def index_page(language: Language) -> str:
    return f"index{language.suffix}.html"


def other_language(language: Language) -> Language:
    return CHINESE if language is ENGLISH else ENGLISH


def page_links(lessons: list[Lesson], index: int, url: str, ref: str, language: Language = ENGLISH) -> dict:
    """What a lesson's header and footer link to: home, neighbours, Colab, the source, its slides, and the
    same lesson in the other language."""
    lesson, other = lessons[index], other_language(language)
    notebook = f"{language.notebooks}/{lesson.path.name}"
    return {
        "home": index_page(language),
        "previous": lessons[index - 1].page_in(language) if index > 0 else None,
        "next": lessons[index + 1].page_in(language) if index + 1 < len(lessons) else None,
        "colab": colab.colab_url(url, ref, notebook),
        "source": f"{url}/blob/{ref}/{notebook}",
        "slides": lesson.slides_in(language),
        "language": {"href": lesson.page_in(other), "code": other.code, "label": other.switch},
    }


def course_map(readme: str, lessons: list[Lesson], language: Language = ENGLISH) -> str:
    """The README's title, first paragraph and course map, with links pointing at the site's pages."""
    title = readme.split("\n", 1)[0]
    intro = readme.split("\n\n")[1]
    heading = f"## {language.course_map}"
    match = re.search(rf"^{heading}\n(.*?)(?=^#)", readme, re.MULTILINE | re.DOTALL)
    if match is None:
        raise BuildError(f"{language.readme} has no '{heading}' section to make the index from")
    table = match.group(1).strip()
    for lesson in lessons:
        table = table.replace(f"({language.notebooks}/{lesson.path.name})", f"({lesson.page_in(language)})")
    return f"{title}\n\n{intro}\n\n{heading}\n\n{table}\n"


def with_text_of(notebook: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """The executed ``notebook`` with the text of the notebook at ``path`` (the English lesson, or the Chinese
    edition's copy in notebooks/zh/): its markdown cells and its figures' alt text. Code cells and outputs
    stay as they ran, so an alt text written after the run needs no new run.

    Raises:
        BuildError: when ``path`` is missing or its code is not the code that ran.
    """
    fix = "run: python tools/translations.py build" if path.parent.name == "zh" else "execute the lessons again"
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if not path.is_file():
        raise BuildError(f"{shown} is missing; {fix}")
    cells = {cell.get("id"): cell for cell in nbformat.read(path, as_version=4).cells}
    result = copy.deepcopy(notebook)
    for cell in result.cells:
        text = cells.get(cell.get("id"))
        if (
            text is None
            or text.cell_type != cell.cell_type
            or (cell.cell_type == "code" and text.source != cell.source)
        ):
            raise BuildError(f"{shown}: cell {cell.get('id')} is not the one that ran; {fix}")
        if cell.cell_type == "markdown":
            cell.source = text.source
        elif ALT in text.metadata:
            cell.metadata[ALT] = text.metadata[ALT]
    return result


def title(notebook: nbformat.NotebookNode) -> str:
    """The first top-level heading, for the browser's tab: "01 · Convolution, from the arithmetic up"."""
    for cell in notebook.cells:
        match = re.search(r"^# (.+)$", cell.source, re.MULTILINE) if cell.cell_type == "markdown" else None
        if match:
            return match.group(1).strip()
    return "Keras vision course"


def render(notebook: nbformat.NotebookNode, links: dict, banner: str | None, footer: str, slides: bool,
           language: Language = ENGLISH) -> str:  # fmt: skip
    """One HTML document: a page (nbconvert's lab template plus our header) or a reveal.js slideshow."""
    from nbconvert import HTMLExporter, SlidesExporter

    # nbconvert takes ISO 639-1 codes only ("zh"); the region goes into <html lang> below.
    short = language.code.split("-")[0]
    common = {"mathjax_url": MATHJAX_URL, "require_js_url": f"{STATIC}/require.js", "language_code": short,
              "jquery_url": f"{STATIC}/jquery.min.js", "exclude_anchor_links": True}  # fmt: skip
    templates = {"extra_template_basedirs": [str(TEMPLATES)]}
    if slides:
        # The "white" theme's fonts ship with reveal.js; "simple", nbconvert's default, fetches Google Fonts.
        exporter = SlidesExporter(template_name="course-slides", reveal_url_prefix=f"{STATIC}/reveal.js",
                                  reveal_theme="white", reveal_scroll=True, **templates, **common)  # fmt: skip
    else:
        exporter = HTMLExporter(template_name="course", **templates, **common)
    course = {"links": links, "banner": banner, "footer": footer, "labels": language.labels}
    resources = {"course": course, "metadata": {"name": title(notebook)}}
    html_text, _ = exporter.from_notebook_node(notebook, resources=resources)
    return html_text.replace(f'<html lang="{short}">', f'<html lang="{language.code}">', 1)


def run_facts(profile: str) -> dict[str, str]:
    """What a page's footer says about the run: the day, the profile and the versions."""
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("tensorflow", "keras", "numpy"))
    return {"day": datetime.date.today().isoformat(), "profile": profile, "versions": versions,
            "python": platform.python_version()}  # fmt: skip


def footer(record: dict, language: Language = ENGLISH) -> str:
    """The footer of a page made from an executed notebook's run record."""
    return language.footer.format(**record["run"])


def choose(lessons: list[Lesson], only: list[str] | None) -> list[Lesson]:
    """The lessons numbered in ``only`` (all when it is empty), refusing numbers that name none."""
    chosen = [lesson for lesson in lessons if not only or lesson.number in only]
    if only and len(chosen) != len(set(only)):
        raise BuildError(f"--notebooks: expected lesson numbers among {[x.number for x in lessons]}, got {only}")
    return chosen


def read_executed(lesson: Lesson, executed: Path) -> tuple[nbformat.NotebookNode, dict]:
    """``lesson`` as :meth:`Execution.run` wrote it into ``executed``, and its run record.

    Refuses a notebook that is missing, lacks the record, or whose cells differ from the lesson's now:
    its page would show another version's outputs.
    """
    path = executed / lesson.path.name
    if not path.is_file():
        raise BuildError(f"--executed: {path} is missing; build without --executed to execute the lessons")
    notebook = nbformat.read(path, as_version=4)
    record = notebook.metadata.pop(RUN_RECORD, None)
    sources = [cell.source for cell in nbformat.read(lesson.path, as_version=4).cells]
    if record is None or [cell.source for cell in notebook.cells] != sources:
        raise BuildError(f"--executed: {path} was not executed by this tool from the current {lesson.path.name}")
    return notebook, record


def render_lesson(notebook: nbformat.NotebookNode, lesson: Lesson, links: dict, record: dict, language: Language,
                  out: Path) -> None:  # fmt: skip
    """Write ``lesson``'s page and slides in ``language`` into ``out`` from its executed ``notebook``."""
    notebook = with_text_of(notebook, lesson.path.parent / language.subfolder / lesson.path.name)
    figures_with_alt(notebook, f"{language.notebooks}/{lesson.path.name}")
    strip_badges(notebook)
    reason = record["random_weights"]
    banner = language.banner.format(reason=reason) if uses_random_weights(notebook) else None
    for slides, name in ((False, lesson.page_in(language)), (True, lesson.slides_in(language))):
        (out / name).write_text(render(notebook, links, banner, footer(record, language), slides, language))


def render_site(lessons: list[Lesson], chosen: list[Lesson], executed: Path, out: Path, node_modules: Path) -> Path:
    """Write ``out/site`` from the ``chosen`` lessons' executed notebooks in ``executed``, in English and in
    Chinese, with a search index of both (Pagefind); returns it.

    The site is staged in ``out/site.staging`` and replaces ``out/site`` only when complete.
    """
    url, ref = colab.repo_url(), colab.release_tag(colab.package_version())
    staging = out / "site.staging"
    shutil.rmtree(staging, ignore_errors=True)
    copy_assets(node_modules, staging / STATIC)
    for lesson in chosen:
        notebook, record = read_executed(lesson, executed)
        freeze_widgets(notebook)
        for language in LANGUAGES:
            links = page_links(lessons, lessons.index(lesson), url, ref, language)
            render_lesson(notebook, lesson, links, record, language, staging)
    for language in LANGUAGES:
        readme = (ROOT / language.readme).read_text(encoding="utf-8")
        home = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(course_map(readme, lessons, language))])
        other = other_language(language)
        links = {
            "home": None,
            "previous": None,
            "next": lessons[0].page_in(language),
            "colab": None,
            "source": None,
            "slides": None,
            "language": {"href": index_page(other), "code": other.code, "label": other.switch},
        }
        # The lessons ran in one profile, with one set of versions: the index says so too.
        (staging / index_page(language)).write_text(
            render(home, links, None, footer(record, language), False, language)
        )
    index_search(staging)
    site = out / "site"
    shutil.rmtree(site, ignore_errors=True)
    staging.rename(site)
    return site


HAN = "\u3400-\u9fff\uf900-\ufaff"  # the CJK ideographs of Chinese text
BETWEEN_HAN = re.compile(rf"(?<=[{HAN}])(?=[{HAN}])")


def index_search(site: Path) -> None:
    """Pagefind's search index of every page (not the slides), one per language, into ``site/pagefind``.

    The pages mark what to index (``data-pagefind-body``). Chinese is indexed one character a word: Pagefind
    segments the pages with jieba when it indexes them but a query with the browser's Intl.Segmenter, and the
    two cut technical terms differently (jieba keeps 步幅 whole, Chromium's ICU splits it into 步 and 幅), so
    a search for 步幅 missed the lessons that teach it. The pages' search box (tools/site/course-search.js) cuts
    a query the same way, so the pages that use a term most come first.
    """
    with tempfile.TemporaryDirectory() as folder:
        for page in site.glob("*.html"):
            text = page.read_text(encoding="utf-8")
            if page.name.endswith(f"{CHINESE.suffix}.html"):
                text = BETWEEN_HAN.sub(" ", text)  # a copy for the index alone; the page keeps its text
            (Path(folder) / page.name).write_text(text, encoding="utf-8")
        output = site / "pagefind"
        command = [sys.executable, "-m", "pagefind", "--site", folder, "--output-path", str(output), "--silent"]
        result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(
            f"the search index failed ({' '.join(command)}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )


def build(
    profile: str = "live",
    out: Path = ROOT / "_build",
    only: list[str] | None = None,
    timeout: int = 3600,
    executed: Path | None = None,
) -> Path:
    """Execute the lessons into ``out/executed`` and write the site to ``out/site``; returns that folder.

    With ``executed``, nothing runs: the pages come from the notebooks executed into that folder
    already, and say the profile they ran in (``profile`` is not used).
    """
    lessons = find_lessons()
    chosen = choose(lessons, only)
    node_modules = ensure_assets()  # before the long part, so that a missing npm fails at once
    if executed is None:
        executed = out / "executed"
        execution = Execution.prepare(profile)
        for lesson in chosen:
            started = time.perf_counter()
            execution.run(lesson, executed, timeout)
            print(f"{lesson.path.name}: {time.perf_counter() - started:.1f} s", flush=True)
    return render_site(lessons, chosen, executed, out, node_modules)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/build_site.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--profile", choices=["smoke", "live", "full"], default="live")
    executed_help = ("render the pages from the lessons executed into DIR already (a build's OUT/executed, "
                     "the tests' _build/pytest/executed) instead of executing them")  # fmt: skip
    source.add_argument("--executed", type=Path, metavar="DIR", help=executed_help)
    parser.add_argument("--out", type=Path, default=ROOT / "_build", help="build folder (default: _build)")
    parser.add_argument("--notebooks", nargs="+", metavar="NN", help="only these lessons, by number")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one cell may run (default: 3600)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        site = build(args.profile, args.out, args.notebooks, args.timeout, args.executed)
    except BuildError as err:
        print(f"Build failed: {err}", file=sys.stderr)
        return 1
    print(f"site: {site}/index.html ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
