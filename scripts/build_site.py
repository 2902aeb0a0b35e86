"""Build the course as a static website: every lesson executed, shown with its outputs and figures.

Run from the repository root:

    .venv/bin/python scripts/build_site.py                           # every lesson, into site/
    .venv/bin/python scripts/build_site.py --notebooks 02 05         # some lessons only (quick checks)
    .venv/bin/python scripts/build_site.py --executed DIR            # reuse executed .ipynb files in DIR

then open site/index.html. The site is a build artifact (site/ is git-ignored): an index with the
lessons table and each lesson's run time in this build, one page per lesson, the glossary and the
teaching guide. Executed notebooks are kept in site/executed/, so a later build can reuse them
(`--executed site/executed` works: they are read before the folder is cleared).

Why nbconvert's HTML export plus a hand-made index, rather than Jupyter Book 2 / MyST: MyST's site
builder is a Node.js program that fetches its themes from the network on first use, which breaks the
course's offline-first rule and adds a second toolchain. nbconvert is already a dependency
(nbclient executes the notebooks exactly as the tests and the benchmark do), its HTML pages embed every
figure as a data URI, and the whole site reads offline in any browser. Formulas are typeset by
MathJax from a CDN when there is a network; offline they stay readable as TeX source.
"""

import argparse
import copy
import datetime
import html
import os
import re
import shutil
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import mistune
import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from course_url import course_url  # noqa: E402  (the one place the repository URL is written)
from scripts.notebook_runner import execute_notebook as run_watched  # noqa: E402  (the tools' one nbclient loop)

NOTEBOOKS = ROOT / "notebooks"
DOCS = {"glossary": ROOT / "docs" / "glossary.md", "teaching_guide": ROOT / "docs" / "teaching_guide.md"}
DOC_TITLES = {"glossary": "Glossary", "teaching_guide": "Teaching guide"}
README = ROOT / "README.md"
CELL_TIMEOUT = 300  # seconds per cell: a lesson's cell takes well under 2 minutes; a stuck one is retried
EXECUTED = "executed"  # the site's folder of executed notebooks, linked from each lesson page
MARKER = ".dlb-site"  # marks a folder this script built, so that a rebuild may clear it
TIMING_KEY = "dlb_site"  # notebook metadata where the build records how long the notebook took
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EXPLORER_NOTE = ('<p class="dlb-note"><b>Interactive explorer.</b> Open this notebook in Jupyter or Colab to '
                 "move its controls; here it is shown at its starting settings.</p>")
README_ROW = re.compile(r"^\| (\d\d) \| \[(?P<title>[^\]]+)\]\(notebooks/(?P<file>[\w.-]+\.ipynb)\) \| (?P<learn>[^|]+) \|",
                        re.MULTILINE)
HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")')
REMOTE_IMG = re.compile(r'<img\b[^>]*?\bsrc="https?://[^"]*"[^>]*>')
ALT = re.compile(r'\balt="([^"]*)"')

# The lesson pages: nbconvert's JupyterLab template, minus require.js (fetched from a CDN, and needed
# only by widget and JavaScript outputs, which this build freezes into static outputs), plus a nav bar.
LESSON_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block extra_css -%}<style>{{ resources.dlb_css }}</style>{%- endblock extra_css -%}
{%- block body_header -%}{{ super() }}{{ resources.dlb_nav }}{%- endblock body_header -%}
{%- block body_footer -%}{{ resources.dlb_nav }}{{ super() }}{%- endblock body_footer -%}
"""
SITE_CSS = """
.dlb-nav { font: 15px/1.5 system-ui, sans-serif; padding: 8px 12px; margin: 8px 0; background: #f3f5f8;
           border-radius: 6px; }
.dlb-nav a { margin-right: 1.2em; }
.dlb-note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px; }
.dlb-badge { display: inline-block; padding: 1px 8px; border: 1px solid #888; border-radius: 4px; font-size: 90%; }
/* Readable by everyone (WCAG 2.1 AA; tests/test_site.py runs axe-core on every page): links in text are
   underlined, not told apart by colour alone, and the code colours and prompts that fell short of a 4.5:1
   contrast on the cells' light grey (numbers 4.3, operator words 4.4, comments 4.2, prompts 2.2) are darker. */
main a, .jp-RenderedHTMLCommon a { text-decoration: underline !important; }
body { --jp-mirror-editor-number-color: #006b00; --jp-mirror-editor-operator-color: #7a1fbf;
       --jp-mirror-editor-comment-color: #356b6b; }   /* the code colours' variables (syntax highlighting) */
.jp-InputPrompt, .jp-OutputPrompt { color: #616161 !important; opacity: 1 !important; }
"""
DOC_CSS = SITE_CSS + """
body { font: 16px/1.55 system-ui, sans-serif; max-width: 60em; margin: 0 auto; padding: 0 1em 3em; color: #1b1b1b; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f3f5f8; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; }
"""


class BuildError(Exception):
    """A problem the person running the build must fix (bad option, failing notebook, missing file)."""


def lesson_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """Return the numbered lesson notebooks in `folder`, in order."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def select_notebooks(available: list[Path], prefixes: list[str] | None) -> list[Path]:
    """Return the notebooks whose names start with the given prefixes (all when there are none)."""
    if not prefixes:
        return list(available)
    chosen = []
    for prefix in prefixes:
        matches = [path for path in available if path.name.startswith(prefix)]
        if len(matches) != 1:
            names = ", ".join(path.stem for path in available)
            problem = "matches no notebook" if not matches else f"matches {len(matches)} notebooks"
            raise BuildError(f"--notebooks {prefix!r} {problem}; give a prefix of exactly one of: {names}")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return sorted(chosen)


def readme_lessons(readme_text: str) -> dict[str, tuple[str, str]]:
    """Return {notebook file name: (title, what you learn)} from the README's lessons table."""
    return {m["file"]: (m["title"].strip(), m["learn"].strip()) for m in README_ROW.finditer(readme_text)}


def notebook_title(notebook) -> str:
    """Return the notebook's first heading, without its '#' and lesson number."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return re.sub(r"^\d\d\s*[·—:-]\s*", "", line[2:].strip())
    return "untitled"


def execute_notebook(path: Path, timeout: int = CELL_TIMEOUT, attempts: int = 2):
    """Execute a notebook top to bottom (cwd = its folder, as benchmarks/benchmark.py's time_notebook); return it.

    The wall time is recorded in the notebook's metadata, so that a build from executed files can show it.
    A cell that times out or stalls, or a kernel that dies, gets the notebook one more try: on a busy machine
    nbclient has been seen waiting on an explorer cell whose kernel had long finished (scripts/notebook_runner.py
    says why, and repairs that in place), and one stuck cell should not sink the whole site.
    """
    try:
        execution = run_watched(path, timeout, attempts=attempts, retry_on=(CellTimeoutError, DeadKernelError))
    except (CellTimeoutError, DeadKernelError) as exc:
        raise BuildError(f"{path.name} failed while executing: {type(exc).__name__}, {attempts} times") from exc
    except Exception as exc:  # a lesson that fails must not be published as if it worked
        message = str(exc).strip().splitlines()
        raise BuildError(f"{path.name} failed while executing: {type(exc).__name__}: "
                         f"{message[-1] if message else ''}") from exc
    notebook = execution.notebook
    notebook.metadata[TIMING_KEY] = {
        "seconds": round(execution.seconds, 1), "cpu_count": os.cpu_count(),
        "executed_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    return notebook


def load_executed(folder: Path, path: Path):
    """Return the executed copy of notebook `path` from `folder`, checking that it has outputs."""
    executed = folder / path.name
    if not executed.is_file():
        raise BuildError(f"--executed {folder}: no {path.name} there (build without --executed to execute it)")
    notebook = nbformat.read(executed, as_version=4)
    if not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"):
        raise BuildError(f"{executed} has no outputs: it was never executed")
    return notebook


def run_seconds(notebook) -> float | None:
    """Return the wall time this build (or the one that executed it) recorded for the notebook, if any."""
    return notebook.metadata.get(TIMING_KEY, {}).get("seconds")


def widget_outputs(state: dict, model_id: str) -> list[dict]:
    """Return the outputs held by the Output widgets inside widget `model_id` (children first to last)."""
    model = state.get(model_id)
    if model is None:
        return []
    if model.get("model_name") == "OutputModel":
        return list(model["state"].get("outputs", []))
    outputs = []
    for child in model["state"].get("children", []):
        outputs += widget_outputs(state, child.removeprefix("IPY_MODEL_"))
    return outputs


def freeze_widgets(notebook):
    """Return the notebook with every widget replaced by the static outputs it showed (none for progress bars).

    Without a kernel a widget cannot react, and rendering one needs scripts from a CDN: an explorer is
    shown as the text and figure it drew at its starting settings, with a note saying how to use it.
    """
    notebook = copy.deepcopy(notebook)
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        frozen = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                frozen.append(output)
                continue
            shown = widget_outputs(state, view["model_id"])
            if shown:  # an explorer; a bare progress bar (tqdm) shows nothing once it has finished
                frozen.append(nbformat.v4.new_output("display_data", data={"text/html": EXPLORER_NOTE}))
                frozen += [nbformat.from_dict(item) for item in shown]
        cell.outputs = frozen
    notebook.metadata.pop("widgets", None)
    return notebook


def github_slug(text: str, seen: dict[str, int]) -> str:
    """Return GitHub's anchor for a heading's text ('Learning rate' -> 'learning-rate'), unique within a page."""
    slug = re.sub(r"[^\w\- ]", "", html.unescape(re.sub(r"<[^>]+>", "", text)).strip().lower()).replace(" ", "-")
    count = seen.get(slug, 0)
    seen[slug] = count + 1
    return slug if count == 0 else f"{slug}-{count}"


class _GitHubHeadings(mistune.HTMLRenderer):
    """Markdown to HTML with GitHub's heading anchors, so that links like glossary.md#learning-rate still work."""

    def __init__(self):
        super().__init__(escape=False)
        self.seen: dict[str, int] = {}

    def heading(self, text: str, level: int, **attrs) -> str:
        """Return the heading with its GitHub anchor as id."""
        return f'<h{level} id="{github_slug(text, self.seen)}">{text}</h{level}>\n'


def render_markdown(text: str) -> str:
    """Return the HTML of a markdown document (tables and bare URLs as on GitHub)."""
    return mistune.create_markdown(renderer=_GitHubHeadings(), plugins=["table", "strikethrough", "url"])(text)


def render_inline(text: str) -> str:
    """Return the HTML of one line of markdown, without the paragraph around it."""
    return re.sub(r"^<p>|</p>\s*$", "", render_markdown(text).strip())


def rewrite_links(page_html: str, source: Path, pages: dict[Path, str], repo_url: str) -> str:
    """Return the page with its relative links pointing at built pages, or else at the file on GitHub.

    `source` is the file the page was made from (links in it are relative to its folder); `pages` maps
    source files to the page built from each. Links that already name a page of the site (the nav bar's)
    or an executed notebook in it are left alone.
    """
    site_files = set(pages.values())

    def target(match: re.Match) -> str:
        href = html.unescape(match[2])
        path, _, fragment = href.partition("#")
        if not is_internal(href) or path in site_files or path.startswith(f"{EXECUTED}/"):
            return match[0]
        resolved = (source.parent / path).resolve()
        if resolved in pages:
            new = pages[resolved] + (f"#{fragment}" if fragment else "")
        else:
            try:
                relative = resolved.relative_to(ROOT).as_posix()
            except ValueError:
                return match[0]  # outside the repository: leave it, the browser test reports it
            kind = "tree" if resolved.is_dir() else "blob"
            new = f"{repo_url}/{kind}/main/{relative}" + (f"#{fragment}" if fragment else "")
        return match[1] + html.escape(new, quote=True) + match[3]

    return HREF.sub(target, page_html)


def offline_images(page_html: str) -> str:
    """Return the page with remote images (the Colab badge) replaced by their alt text, which reads offline."""
    def badge(match: re.Match) -> str:
        alt = ALT.search(match[0])
        return f'<span class="dlb-badge">{alt[1] if alt else "image"}</span>'
    return REMOTE_IMG.sub(badge, page_html)


class _LinkCollector(HTMLParser):
    """Collects the href of every <a> and every id in a page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Record the tag's href (links only) and id."""
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if values.get("id"):
            self.ids.add(values["id"])


def collect_links(page_html: str) -> list[str]:
    """Return the href of every link in the page, in order."""
    collector = _LinkCollector()
    collector.feed(page_html)
    return collector.links


def collect_ids(page_html: str) -> set[str]:
    """Return every element id in the page (the targets of #fragment links)."""
    collector = _LinkCollector()
    collector.feed(page_html)
    return collector.ids


def is_internal(href: str) -> bool:
    """Return whether a link points into the site itself (a relative path, not a URL or an in-page anchor)."""
    return bool(href) and not href.startswith(("#", "mailto:", "data:")) and not re.match(r"^[a-z][a-z0-9+.-]*:", href)


def nav_html(lesson_pages: list[tuple[str, str]], current: str | None = None) -> str:
    """Return the navigation bar: index, glossary, guide; on a lesson, its notebook and the lessons around it."""
    links = ['<a href="index.html">&#8962; All lessons</a>', '<a href="glossary.html">Glossary</a>',
             '<a href="teaching_guide.html">Teaching guide</a>']
    names = [page for page, _ in lesson_pages]
    if current in names:
        at = names.index(current)
        notebook = current.removesuffix(".html") + ".ipynb"
        links.append(f'<a href="{EXECUTED}/{notebook}" download>this notebook with its outputs</a>')
        if at > 0:
            links.append(f'<a href="{names[at - 1]}">&larr; {html.escape(lesson_pages[at - 1][1])}</a>')
        if at + 1 < len(names):
            links.append(f'<a href="{names[at + 1]}">{html.escape(lesson_pages[at + 1][1])} &rarr;</a>')
    return f'<nav class="dlb-nav">{" ".join(links)}</nav>'


def format_seconds(seconds: float | None) -> str:
    """Return a run time as the README writes it ('19.0 s'), or a dash when it was not measured."""
    return "&ndash;" if seconds is None else f"{seconds:.1f} s"


def index_html(rows: list[dict], note: str) -> str:
    """Return the index page: the lessons table (number, linked title, what you learn, run time) and links.

    Each row has keys number, title, page, learn (markdown) and seconds (None when not measured).
    """
    body = ["<tr><th>#</th><th>lesson</th><th>what you learn</th><th>run time</th></tr>"]
    for row in rows:
        body.append(f'<tr><td>{row["number"]}</td><td><a href="{row["page"]}">{html.escape(row["title"])}</a></td>'
                    f'<td>{render_inline(row["learn"])}</td><td>{format_seconds(row["seconds"])}</td></tr>')
    content = ("<h1>Deep Learning Basics</h1>\n<p>A course of Jupyter notebooks that teaches deep learning "
               "with PyTorch. Each lesson below is shown as it ran in this build, with its outputs and "
               "figures.</p>\n<table>\n" + "\n".join(body) + f"\n</table>\n<p>{note}</p>\n"
               '<p>For teachers: the <a href="teaching_guide.html">teaching guide</a> (per lesson: what to know '
               'first, goals, timings, what to demo, common mistakes) and the <a href="glossary.html">glossary</a>. '
               'These pages show the student edition: every exercise has a solution to reveal. For a class '
               'that should not see them, <code>scripts/editions.py classroom</code> writes the classroom '
               'edition, the same lessons without the solutions (see the README).</p>')
    return document("Deep Learning Basics", content, nav_html([]))


def document(title: str, body: str, nav: str) -> str:
    """Return a complete HTML page with the site's style, the nav bar above and below the body."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{DOC_CSS}</style>\n</head>\n<body>\n{nav}\n<main>\n"
            f"{body}\n</main>\n{nav}\n</body>\n</html>\n")


NO_ALT = 'alt="No description has been provided for this image"'   # what nbconvert writes for a figure
FIGURE_TEXT = re.compile(r"""\b(suptitle|set_title|title|set_xlabel|xlabel|set_ylabel|ylabel)\s*[=(]\s*(f?)(["'])(.+?)\3""")
CALL = re.compile(r"^\s*(?:\w+\s*=\s*)?([\w.]+)\(", re.M)


def figure_alt_text(source: str) -> str:
    """Return a text alternative for a figure, from the code that draws it: its titles and axis labels.

    A value that an f-string fills in at run time is written as "…"; a cell with none of these names the
    function that draws the figure.
    """
    found: dict[str, list[str]] = {}
    for name, formatted, _, text in FIGURE_TEXT.findall(source):
        text = re.sub(r"\{[^{}]*\}", "…", text) if formatted else text
        text = " ".join(text.replace("\\n", " ").split())
        if text.strip(" …;,.:"):                  # a title that is all placeholders says nothing
            found.setdefault(name.replace("set_", "").replace("sup", ""), []).append(text)
    if not found:
        calls = [name for name in CALL.findall(source) if name not in ("print", "plt.show", "assert")]
        explorer = next((name for name in calls if name.endswith("_explorer")), None)
        if explorer:
            return f"The explorer's figure at its starting settings, drawn by {explorer}."
        drawing = [name for name in calls if re.search(r"plot|show|draw|imshow|bar|hist|figure", name)]
        return f"Figure drawn by {(drawing or calls)[-1]}." if calls else "Figure drawn by the code cell above."
    parts = ["Figure: " + "; ".join(found["title"])] if "title" in found else ["Figure"]
    parts += [f"horizontal axis: {', '.join(found['xlabel'])}"] if "xlabel" in found else []
    parts += [f"vertical axis: {', '.join(found['ylabel'])}"] if "ylabel" in found else []
    return ". ".join(parts) + "."


def figure_alt_texts(notebook) -> list[str]:
    """Return one text alternative per figure the notebook shows, in page order."""
    return [figure_alt_text(cell.source) for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]


def lesson_html(notebook, nav: str) -> str:
    """Return a lesson's page: nbconvert's JupyterLab-style HTML of the executed notebook, figures embedded,
    each with a text alternative made from the code that draws it (nbconvert's own says nothing)."""
    exporter = HTMLExporter(template_name="lab", extra_loaders=[jinja2.DictLoader({"dlb.html.j2": LESSON_TEMPLATE})],
                            template_file="dlb.html.j2")
    frozen = freeze_widgets(notebook)
    page, _ = exporter.from_notebook_node(frozen, resources={"dlb_nav": nav, "dlb_css": SITE_CSS})
    for alt in figure_alt_texts(frozen):
        page = page.replace(NO_ALT, f'alt="{html.escape(alt)}"', 1)
    return page


def prepare_output(out: Path) -> None:
    """Create `out`, or empty it if an earlier build made it; refuse to clear any other non-empty folder."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise BuildError(f"--out {out} is not empty and was not made by this script; pick another folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("built by scripts/build_site.py; the next build clears this folder\n")


def build_site(notebooks: list[Path], out: Path, executed: Path | None = None, log=print) -> list[Path]:
    """Build the site for `notebooks` into `out` (executing them unless `executed` holds them); return its pages."""
    for name, doc in DOCS.items():
        if not doc.is_file():
            raise BuildError(f"{doc.relative_to(ROOT)} is missing: the site's {DOC_TITLES[name].lower()} page is made from it")
    # Read everything before clearing `out`: --executed may point inside the previous build.
    loaded = [load_executed(executed, path) for path in notebooks] if executed else None
    prepare_output(out)
    table = readme_lessons(README.read_text())
    lessons = []
    for at, path in enumerate(notebooks):
        if loaded:
            notebook = loaded[at]
        else:
            log(f"executing {path.name} ...")
            notebook = execute_notebook(path)
            log(f"  {path.name}: {run_seconds(notebook):.1f} s")
        title, learn = table.get(path.name, (notebook_title(notebook), ""))
        lessons.append({"path": path, "notebook": notebook, "number": path.name[:2], "title": title,
                        "learn": learn, "page": path.stem + ".html", "seconds": run_seconds(notebook)})
    pages = {lesson["path"].resolve(): lesson["page"] for lesson in lessons}
    pages.update({doc.resolve(): f"{name}.html" for name, doc in DOCS.items()})
    pages[README.resolve()] = "index.html"
    repo_url = course_url()
    lesson_pages = [(lesson["page"], f'{lesson["number"]} {lesson["title"]}') for lesson in lessons]
    written = []

    def write(name: str, page: str, source: Path) -> None:
        """Write one page with its links made to work on the site."""
        (out / name).write_text(rewrite_links(offline_images(page), source, pages, repo_url), encoding="utf-8")
        written.append(out / name)

    (out / EXECUTED).mkdir()
    for lesson in lessons:
        nbformat.write(lesson["notebook"], out / EXECUTED / lesson["path"].name)
        write(lesson["page"], lesson_html(lesson["notebook"], nav_html(lesson_pages, lesson["page"])), lesson["path"])
    for name, doc in DOCS.items():
        body = render_markdown(doc.read_text(encoding="utf-8"))
        write(f"{name}.html", document(f"{DOC_TITLES[name]} · Deep Learning Basics", body, nav_html(lesson_pages)), doc)
    measured = {lesson["notebook"].metadata.get(TIMING_KEY, {}).get("executed_at") for lesson in lessons} - {None}
    cores = {lesson["notebook"].metadata.get(TIMING_KEY, {}).get("cpu_count") for lesson in lessons} - {None}
    note = ("Run time: the wall time of executing the notebook top to bottom (nbclient, one notebook at a time) "
            f"when this site was built ({', '.join(sorted(measured)) or 'not recorded'}; "
            f"{', '.join(map(str, sorted(cores))) or '?'} CPU cores; a GPU is used when there is one).")
    write("index.html", index_html(lessons, note), README)
    return written


def main(argv: list[str] | None = None) -> int:
    """Build the site from the command line; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", nargs="+", metavar="PREFIX",
                        help="build only these lessons, by name prefix (e.g. 01 02); default: all")
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="folder for the site (default: site/)")
    parser.add_argument("--executed", type=Path, metavar="DIR",
                        help="take already-executed notebooks (same file names) from DIR instead of executing")
    args = parser.parse_args(argv)
    try:
        notebooks = select_notebooks(lesson_notebooks(), args.notebooks)
        start = time.perf_counter()
        pages = build_site(notebooks, args.out.resolve(), args.executed.resolve() if args.executed else None)
    except BuildError as problem:
        print(f"build_site: {problem}", file=sys.stderr)
        return 1
    print(f"Built {len(pages)} pages in {time.perf_counter() - start:.1f} s: {args.out / 'index.html'}")
    for page in pages:
        print(f"  {page.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
