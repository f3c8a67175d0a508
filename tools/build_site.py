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
   reveal.js slideshow per lesson. The site is assembled in a staging folder and replaces the old one
   only when complete.

Without the VGG16 ImageNet weights, lesson 04 runs with random weights, as in CI, and its page says so.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
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
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class BuildError(RuntimeError):
    """A notebook failed, or the tools the build needs are missing."""


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
        return f"{self.stem}.html"

    @property
    def slides(self) -> str:
        return f"{self.stem}.slides.html"


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
        notebook.metadata[RUN_RECORD] = {"footer": build_footer(self.profile), "random_weights": self.random_weights}
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


def inline_gifs(notebook: nbformat.NotebookNode) -> None:
    """Show GIF outputs (lesson 06's training animation) as HTML images: nbconvert renders no image/gif."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            gif = output.get("data", {}).pop("image/gif", None)
            if gif:
                output.data["text/html"] = f'<img alt="animation" src="data:image/gif;base64,{gif.strip()}">'


def strip_badges(notebook: nbformat.NotebookNode) -> None:
    """Remove the Colab badge: the page's own header links to Colab (and the badge is an online image)."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"\n{3,}", "\n\n", colab.BADGE_PATTERN.sub("", cell.source))


def uses_random_weights(notebook: nbformat.NotebookNode) -> bool:
    return any(RANDOM_WEIGHTS_MARKER in output.get("text", "")
               for cell in notebook.cells for output in cell.get("outputs", []))  # fmt: skip


def page_links(lessons: list[Lesson], index: int, url: str, ref: str) -> dict:
    """What a lesson's header and footer link to: home, neighbours, Colab, the source, its slides."""
    lesson = lessons[index]
    notebook = f"notebooks/{lesson.path.name}"
    return {
        "home": "index.html",
        "previous": lessons[index - 1].page if index > 0 else None,
        "next": lessons[index + 1].page if index + 1 < len(lessons) else None,
        "colab": colab.colab_url(url, ref, notebook),
        "source": f"{url}/blob/{ref}/{notebook}",
        "slides": lesson.slides,
    }


def course_map(readme: str, lessons: list[Lesson]) -> str:
    """The README's title, first paragraph and course map, with links pointing at the site's pages."""
    title = readme.split("\n", 1)[0]
    intro = readme.split("\n\n")[1]
    match = re.search(r"^## Course map\n(.*?)(?=^#)", readme, re.MULTILINE | re.DOTALL)
    if match is None:
        raise BuildError("README.md has no '## Course map' section to make the index from")
    table = match.group(1).strip()
    for lesson in lessons:
        table = table.replace(f"(notebooks/{lesson.path.name})", f"({lesson.page})")
    return f"{title}\n\n{intro}\n\n## Course map\n\n{table}\n"


def title(notebook: nbformat.NotebookNode) -> str:
    """The first top-level heading, for the browser's tab: "01 · Convolution, from the arithmetic up"."""
    for cell in notebook.cells:
        match = re.search(r"^# (.+)$", cell.source, re.MULTILINE) if cell.cell_type == "markdown" else None
        if match:
            return match.group(1).strip()
    return "Keras vision course"


def render(notebook: nbformat.NotebookNode, links: dict, banner: str | None, footer: str, slides: bool) -> str:
    """One HTML document: a page (nbconvert's lab template plus our header) or a reveal.js slideshow."""
    from nbconvert import HTMLExporter, SlidesExporter

    common = {"mathjax_url": MATHJAX_URL, "require_js_url": f"{STATIC}/require.js",
              "jquery_url": f"{STATIC}/jquery.min.js", "exclude_anchor_links": True}  # fmt: skip
    templates = {"extra_template_basedirs": [str(TEMPLATES)]}
    if slides:
        # The "white" theme's fonts ship with reveal.js; "simple", nbconvert's default, fetches Google Fonts.
        exporter = SlidesExporter(template_name="course-slides", reveal_url_prefix=f"{STATIC}/reveal.js",
                                  reveal_theme="white", reveal_scroll=True, **templates, **common)  # fmt: skip
    else:
        exporter = HTMLExporter(template_name="course", **templates, **common)
    resources = {"course": {"links": links, "banner": banner, "footer": footer}, "metadata": {"name": title(notebook)}}
    html, _ = exporter.from_notebook_node(notebook, resources=resources)
    return html


def build_footer(profile: str) -> str:
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("tensorflow", "keras", "numpy"))
    day = datetime.date.today().isoformat()
    return f"Executed on {day} in the {profile} profile with {versions}, Python {platform.python_version()}."


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


def render_site(lessons: list[Lesson], chosen: list[Lesson], executed: Path, out: Path, node_modules: Path) -> Path:
    """Write ``out/site`` from the ``chosen`` lessons' executed notebooks in ``executed``; returns it.

    The site is staged in ``out/site.staging`` and replaces ``out/site`` only when complete.
    """
    url, ref = colab.repo_url(), colab.release_tag(colab.package_version())
    staging = out / "site.staging"
    shutil.rmtree(staging, ignore_errors=True)
    copy_assets(node_modules, staging / STATIC)
    for lesson in chosen:
        notebook, record = read_executed(lesson, executed)
        freeze_widgets(notebook)
        inline_gifs(notebook)
        strip_badges(notebook)
        reason = record["random_weights"]
        banner = RANDOM_WEIGHTS_BANNER.format(reason=reason) if uses_random_weights(notebook) else None
        links = page_links(lessons, lessons.index(lesson), url, ref)
        (staging / lesson.page).write_text(render(notebook, links, banner, record["footer"], slides=False))
        (staging / lesson.slides).write_text(render(notebook, links, banner, record["footer"], slides=True))
    footer = record["footer"]  # the lessons ran in one profile, with one set of versions: the index says so too
    readme = (ROOT / "README.md").read_text()
    home = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(course_map(readme, lessons))])
    links = {"home": None, "previous": None, "next": lessons[0].page, "colab": None, "source": None, "slides": None}
    (staging / "index.html").write_text(render(home, links, None, footer, slides=False))

    site = out / "site"
    shutil.rmtree(site, ignore_errors=True)
    staging.rename(site)
    return site


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
