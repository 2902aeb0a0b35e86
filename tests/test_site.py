"""The rendered course (scripts/build_site.py): its pure pieces without a browser, then a built site in
headless Chromium: every page loads, every figure shows, every internal link resolves, and the numbers a
lesson prints appear on its page.

The browser test executes lesson 02 (about 25 s on an idle 2-core CPU). To reuse notebooks a build
already executed, point DLB_SITE_EXECUTED at a folder holding them (e.g. a copy of site/executed/).
A screenshot of the lesson page is left in test-artifacts/site/.
"""

import functools
import http.server
import importlib.util
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "site"
LESSON = "02_the_training_loop"  # the shortest lesson with figures: the browser test builds it alone
BUILD_SECONDS = 1200  # executing lesson 02 takes ~25 s idle, several minutes on a busy CI machine
PERCENT = re.compile(r"\d+(\.\d+)?%")
# A 1 x 1 PNG: the smallest figure an output can hold.
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def load_build_site():
    """Return scripts/build_site.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_site = load_build_site()


def squeeze(text: str) -> str:
    """Return the text with every run of whitespace made one space (HTML rendering does the same)."""
    return " ".join(text.split())


def broken_links(site: Path) -> list[str]:
    """Return 'page -> link' for every internal link of the site whose file or #anchor does not exist."""
    broken = []
    for page in sorted(site.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        for href in build_site.collect_links(text):
            path, _, fragment = href.partition("#")
            if href.startswith("#"):
                target = page
            elif build_site.is_internal(href):
                target = site / path
            else:
                continue
            if not target.is_file():
                broken.append(f"{page.name} -> {href}")
            elif fragment and target.suffix == ".html" and fragment not in build_site.collect_ids(
                    target.read_text(encoding="utf-8")):
                broken.append(f"{page.name} -> {href} (no such anchor)")
    return broken


def printed_percentages(notebook_path: Path) -> list[str]:
    """Return every line the executed notebook printed to stdout that holds a percentage."""
    notebook = nbformat.read(notebook_path, as_version=4)
    lines = [line for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
             if output.output_type == "stream" and output.name == "stdout" for line in output.text.splitlines()]
    return [squeeze(line) for line in lines if PERCENT.search(line)]


# ---------- the pure pieces, no kernel and no browser ----------

def test_select_notebooks_by_prefix_and_explains_a_bad_one():
    available = [Path("01_a.ipynb"), Path("02_b.ipynb"), Path("03_c.ipynb")]
    assert build_site.select_notebooks(available, None) == available
    assert build_site.select_notebooks(available, ["03", "01", "01_a"]) == [available[0], available[2]]
    with pytest.raises(build_site.BuildError, match=r"'09' matches no notebook.*01_a, 02_b, 03_c"):
        build_site.select_notebooks(available, ["09"])
    with pytest.raises(build_site.BuildError, match="matches 3 notebooks"):
        build_site.select_notebooks(available, ["0"])


def test_every_lesson_is_in_the_readme_table():
    table = build_site.readme_lessons((ROOT / "README.md").read_text())
    lessons = [path.name for path in build_site.lesson_notebooks()]
    assert lessons and all(name in table for name in lessons), f"not in the README table: {set(lessons) - set(table)}"
    assert table["02_the_training_loop.ipynb"][0] == "The training loop"


def test_index_table_rows():
    rows = [{"number": "01", "title": "Tensors & you", "page": "01_x.html", "learn": "`transforms.v2`, layers",
             "seconds": 19.04},
            {"number": "02", "title": "Loops", "page": "02_y.html", "learn": "loss", "seconds": None}]
    page = build_site.index_html(rows, "measured here")
    assert '<td>01</td><td><a href="01_x.html">Tensors &amp; you</a></td>' in page
    assert "<code>transforms.v2</code>, layers" in page and "<td>19.0 s</td>" in page
    assert "<td>&ndash;</td>" in page and "measured here" in page
    assert {"index.html", "glossary.html", "teaching_guide.html", "01_x.html", "02_y.html"} <= set(
        build_site.collect_links(page))


def test_markdown_page_has_github_anchors_and_tables():
    html = build_site.render_markdown("# Glossary\n\n### Learning rate\n\ntext\n\n### Batch size (`B`)\n\n"
                                      "### Learning rate\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    assert build_site.collect_ids(html) == {"glossary", "learning-rate", "batch-size-b", "learning-rate-1"}
    assert "<table>" in html and "<td>1</td>" in html
    page = build_site.document("Glossary", html, build_site.nav_html([]))
    assert build_site.collect_links(page).count("index.html") == 2  # nav bar above and below


def test_links_point_at_built_pages_or_github():
    pages = {(ROOT / "docs" / "glossary.md").resolve(): "glossary.html",
             (ROOT / "notebooks" / "02_the_training_loop.ipynb").resolve(): "02_the_training_loop.html"}
    source = ROOT / "notebooks" / "01_what_is_deep_learning.ipynb"
    page = ('<a href="../docs/glossary.md#epoch">g</a> <a href="02_the_training_loop.ipynb">02</a> '
            '<a href="03_learning_rates.ipynb">03</a> <a href="../utils">u</a> <a href="#Recap">r</a> '
            '<a href="https://pytorch.org">p</a> <a href="glossary.html">nav</a>')
    repo = "https://github.com/o/r"
    assert build_site.collect_links(build_site.rewrite_links(page, source, pages, repo)) == [
        "glossary.html#epoch", "02_the_training_loop.html", f"{repo}/blob/main/notebooks/03_learning_rates.ipynb",
        f"{repo}/tree/main/utils", "#Recap", "https://pytorch.org", "glossary.html"]


def test_remote_images_become_text():
    badge = '<a href="x"><img alt="Open In Colab" src="https://colab.research.google.com/assets/colab-badge.svg"/></a>'
    assert build_site.offline_images(badge) == '<a href="x"><span class="dlb-badge">Open In Colab</span></a>'
    local = f'<img src="data:image/png;base64,{PIXEL}"/>'
    assert build_site.offline_images(local) == local


def widget_notebook():
    """Return a notebook whose cell shows a finished progress bar and an explorer (slider + output)."""
    figure = {"output_type": "display_data", "metadata": {}, "data": {"image/png": PIXEL, "text/plain": "<Figure>"}}
    state = {"bar": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_progress"]}},
             "progress": {"model_name": "FloatProgressModel", "state": {}},
             "explorer": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_out"]}},
             "slider": {"model_name": "FloatSliderModel", "state": {}},
             "out": {"model_name": "OutputModel", "state": {"outputs": [
                 {"output_type": "stream", "name": "stdout", "text": "learning rate 0.05: crawls\n"}, figure]}}}
    view = lambda model_id: nbformat.v4.new_output(  # noqa: E731
        "display_data", data={"text/plain": "junk", build_site.WIDGET_VIEW: {"model_id": model_id}})
    cell = nbformat.v4.new_code_cell("lesson.make_descent_explorer()", outputs=[view("bar"), view("explorer")])
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["widgets"] = {build_site.WIDGET_STATE: {"state": state}}
    return notebook


def test_widgets_freeze_into_what_they_showed():
    notebook = widget_notebook()
    frozen = build_site.freeze_widgets(notebook)
    assert [output.output_type for output in frozen.cells[0].outputs] == ["display_data", "stream", "display_data"]
    assert "Interactive explorer" in frozen.cells[0].outputs[0].data["text/html"]
    assert frozen.cells[0].outputs[2].data["image/png"] == PIXEL
    assert "widgets" not in frozen.metadata and "widgets" in notebook.metadata  # the original is untouched


def fake_executed_lesson(folder: Path) -> Path:
    """Write an executed-looking lesson 02 (a heading, a link, a printed accuracy, a figure) into `folder`."""
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 02 — The training loop\n\nSee [epoch](../docs/glossary.md) "
                                      "and [lesson 03](03_learning_rates.ipynb)."),
        nbformat.v4.new_code_cell("print(...)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="test accuracy:    12.5%\n"),
            nbformat.v4.new_output("display_data", data={"image/png": PIXEL, "text/plain": "<Figure>"})]),
    ])
    notebook.metadata[build_site.TIMING_KEY] = {"seconds": 12.3, "cpu_count": 2, "executed_at": "2026-01-01 00:00 UTC"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / f"{LESSON}.ipynb")
    return folder


def test_build_from_executed_notebooks(tmp_path):
    executed = fake_executed_lesson(tmp_path / "executed-before")
    out = tmp_path / "site"
    lesson = ROOT / "notebooks" / f"{LESSON}.ipynb"
    pages = build_site.build_site([lesson], out, executed=executed, log=lambda _: None)
    assert sorted(page.name for page in pages) == sorted(
        ["index.html", "glossary.html", "teaching_guide.html", f"{LESSON}.html"])
    index = (out / "index.html").read_text()
    assert f'<a href="{LESSON}.html">The training loop</a>' in index and "12.3 s" in index
    page = (out / f"{LESSON}.html").read_text()
    assert "test accuracy:    12.5%" in page and f"data:image/png;base64,{PIXEL}" in page
    assert "No description has been provided" not in page and 'alt="Figure' in page   # a text alternative from the code
    assert "require.js" not in page and "unpkg.com" not in page  # nothing the page needs comes from a CDN
    assert "https://github.com/" in page and "blob/main/notebooks/03_learning_rates.ipynb" in page
    assert broken_links(out) == []
    assert (out / "executed" / f"{LESSON}.ipynb").is_file()
    # A second build clears the first; a folder the script did not make is never cleared.
    build_site.build_site([lesson], out, executed=out / "executed", log=lambda _: None)
    assert "12.3 s" in (out / "index.html").read_text()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(build_site.BuildError, match="not empty and was not made by this script"):
        build_site.build_site([lesson], tmp_path / "mine", executed=executed, log=lambda _: None)
    with pytest.raises(build_site.BuildError, match="no 01_what_is_deep_learning.ipynb there"):
        build_site.build_site([ROOT / "notebooks" / "01_what_is_deep_learning.ipynb"], out, executed=executed)


def test_command_line_rejects_an_unknown_lesson(capsys):
    assert build_site.main(["--notebooks", "99", "--out", "/nonexistent/never-made"]) == 1
    assert "'99' matches no notebook" in capsys.readouterr().err


# ---------- the built site in headless Chromium ----------


@pytest.fixture(scope="module")
def built_site(chromium, tmp_path_factory) -> Path:
    """The site to test: the folder in DLB_SITE when set (CI builds the whole course there first), else
    the site built here by the command line for lesson 02 (executed, unless DLB_SITE_EXECUTED holds it)."""
    if os.environ.get("DLB_SITE"):
        return Path(os.environ["DLB_SITE"]).resolve()
    out = tmp_path_factory.mktemp("site") / "site"
    command = [sys.executable, str(ROOT / "scripts" / "build_site.py"), "--notebooks", LESSON[:2], "--out", str(out)]
    if os.environ.get("DLB_SITE_EXECUTED"):
        command += ["--executed", os.environ["DLB_SITE_EXECUTED"]]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_SECONDS, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"building the site took more than {BUILD_SECONDS} s")
    assert result.returncode == 0, f"build_site.py failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return out


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging each request; a stuck connection is dropped after 30 s."""

    timeout = 30

    def log_message(self, format, *args) -> None:
        """Log nothing (pytest shows only failures)."""


@pytest.fixture(scope="module")
def site_url(built_site):
    """The site served by http.server on a free port of 127.0.0.1; stopped afterwards."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(built_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def image_sizes(page) -> list[int]:
    """Return the natural width of every image on the page, once each has been decoded (0: broken)."""
    page.evaluate("() => Promise.all([...document.images].map(img => img.decode().catch(() => null)))")
    return page.eval_on_selector_all("img", "imgs => imgs.map(img => img.naturalWidth)")


@pytest.mark.browser
def test_site_in_browser(built_site, site_url, browser):
    names = sorted(path.name for path in built_site.glob("*.html"))
    lessons = [name for name in names if name[:2].isdigit()]
    assert lessons and names == sorted(["index.html", "glossary.html", "teaching_guide.html", *lessons])
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    offsite = []

    def local_only(route) -> None:
        """Let the site's own files through and refuse the rest: the pages must read offline."""
        if route.request.url.startswith(site_url):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    page.set_default_timeout(60_000)
    ids: dict[str, set[str]] = {}
    try:
        for name in names:
            response = page.goto(f"{site_url}/{name}", wait_until="load")
            assert response is not None and response.status == 200, f"{name}: HTTP {response and response.status}"
            ids[name] = set(page.eval_on_selector_all("[id]", "els => els.map(el => el.id)"))
            links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
            for link in links:
                address, fragment = urldefrag(link)
                if not address.startswith(site_url):
                    continue
                answer = context.request.get(address)
                assert answer.status == 200, f"{name}: link {link} answers HTTP {answer.status}"
                target = urlsplit(address).path.lstrip("/") or "index.html"
                if fragment and target.endswith(".html"):
                    known = ids.get(target) or build_site.collect_ids(answer.text())
                    assert fragment in known, f"{name}: link {link} points at an anchor its page lacks"
            if name in lessons:
                stem = name.removesuffix(".html")
                sizes = image_sizes(page)
                assert sizes, f"{name}: no figure on the lesson page"
                assert all(width > 0 for width in sizes), f"{name}: broken images (natural widths {sizes})"
                generic = page.locator('img[alt="No description has been provided for this image"]').count()
                assert generic == 0, f"{name}: {generic} figures kept nbconvert's empty text alternative"
                text = squeeze(page.inner_text("main"))
                headlines = printed_percentages(built_site / "executed" / f"{stem}.ipynb")
                assert headlines, f"{stem} printed no line with a percentage"
                missing = [line for line in headlines if line not in text]
                assert not missing, f"{name}: printed lines missing from the page: {missing}"
                page.screenshot(path=str(SHOTS / f"{stem}.png"), full_page=True)
                print(f"{name}: {len(sizes)} figures, {len(headlines)} printed percentages found, e.g. {headlines[0]!r}; "
                      f"screenshot {SHOTS / f'{stem}.png'}")
            if name == "index.html":
                page.screenshot(path=str(SHOTS / "index.png"), full_page=True)
                for lesson in lessons:
                    assert page.locator(f'table a[href="{lesson}"]').count() == 1, f"the index should link {lesson}"
    finally:
        context.close()
    # Only formula typesetting (MathJax) may come from outside; without it the page still reads.
    assert all("mathjax" in url.lower() for url in offsite), f"pages fetched from outside: {offsite}"


# ---------- the pages the site is made from ----------

def test_teaching_guide_covers_the_published_lessons_and_no_others():
    guide = (ROOT / "docs" / "teaching_guide.md").read_text()
    covered = re.findall(r"^## (\d\d) — ", guide, re.MULTILINE)
    published = sorted(name[:2] for name in build_site.readme_lessons((ROOT / "README.md").read_text()))
    existing = {path.name[:2] for path in build_site.lesson_notebooks()}
    assert set(covered) <= existing, f"docs/teaching_guide.md describes lessons that do not exist: {set(covered) - existing}"
    assert covered == published, ("docs/teaching_guide.md needs one '## NN — title' section per lesson in the "
                                  f"README's table, in order: has {covered}, the README lists {published}")


def test_glossary_is_alphabetical_and_points_at_real_lessons():
    glossary = (ROOT / "docs" / "glossary.md").read_text()
    terms = re.findall(r"^## (.+)$", glossary, re.MULTILINE)
    assert terms == sorted(terms, key=str.lower), "keep docs/glossary.md's terms in alphabetical order"
    targets = re.findall(r"^\[\d\d\]: (\S+)$", glossary, re.MULTILINE)
    assert targets and all((ROOT / "docs" / target).resolve().is_file() for target in targets)


def heading_levels(markdown: str) -> list[tuple[int, str]]:
    """Return (level, text) of every markdown heading, leaving out lines inside ``` code blocks."""
    found, in_code = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (match := re.match(r"^(#+) (.+)", line)):
            found.append((len(match.group(1)), match.group(2)))
    return found


def skipped_levels(headings: list[tuple[int, str]]) -> list[str]:
    """Return the headings that go more than one level deeper than the heading before them."""
    return [f"{'#' * level} {text} (after a level-{before} heading)"
            for (before, _), (level, text) in zip(headings, headings[1:]) if level > before + 1]


def test_headings_never_skip_a_level():
    """Screen readers navigate by headings (WCAG 1.3.1; axe's 'heading-order'): a page starts at # and never
    jumps, say, from # to ###. Checked on every lesson and every page of docs/, as the site renders them."""
    assert skipped_levels([(1, "a"), (2, "b"), (3, "c"), (2, "d")]) == []
    assert skipped_levels([(1, "a"), (3, "b")]) == ["### b (after a level-1 heading)"]
    pages = {path.name: path.read_text() for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
    for path in build_site.lesson_notebooks():
        cells = nbformat.read(path, as_version=4).cells
        pages[path.name] = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    for name, markdown in pages.items():
        headings = heading_levels(markdown)
        assert headings and headings[0][0] == 1, f"{name} should start with one level-1 heading"
        assert not skipped_levels(headings), f"{name}: a heading skips a level: {skipped_levels(headings)}"


def unclosed_details(markdown):
    """Return how many <details> blocks a markdown cell opens and never closes."""
    return markdown.count("<details") - markdown.count("</details>")


def test_every_details_block_closes_in_its_own_cell():
    """A cell that opens <details> and never closes it folds away everything after it, headings included:
    in Jupyter the rest of that cell, on the site the rest of the page. Every markdown cell of every
    lesson must close what it opens."""
    assert unclosed_details("<details><summary>a</summary>\n\nb\n\n## 5. next") == 1
    assert unclosed_details("<details><summary>a</summary>\n\nb\n\n</details>\n\n## 5. next") == 0
    for path in build_site.lesson_notebooks():
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "markdown":
                assert unclosed_details(cell.source) == 0, f"{path.name}, cell {index}: a <details> is not closed"


def test_a_stuck_cell_gets_one_more_try_then_a_clear_error(tmp_path, capsys):
    path = tmp_path / "stuck.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(30)")]), path)
    with pytest.raises(build_site.BuildError, match="stuck.ipynb failed while executing: CellTimeoutError, 2 times"):
        build_site.execute_notebook(path, timeout=2)
    assert "executing it once more" in capsys.readouterr().out


def test_every_figure_gets_a_text_alternative_from_its_code():
    """The site's figures say what they show (issue 20): titles and axis labels from the drawing code."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import build_site
    assert build_site.figure_alt_text('ax.set(xlabel="input z", ylabel="derivative", title="Two slopes")') == \
        "Figure: Two slopes. horizontal axis: input z. vertical axis: derivative."
    assert build_site.figure_alt_text('plot_history(h, title=f"Adam, {n} epochs")') == "Figure: Adam, … epochs."
    assert "make_kernel_explorer" in build_site.figure_alt_text("lesson.make_kernel_explorer(device)")
    assert build_site.figure_alt_text("x = torch.zeros(3)\nlesson.plot_weights(model)\nplt.show()") == \
        "Figure drawn by lesson.plot_weights."


WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.mark.browser
def test_every_page_passes_an_automated_wcag_check(built_site, site_url, browser):
    """axe-core (the engine browsers' accessibility tools use) finds no serious or critical WCAG 2.1 AA
    violation on any page. Automated checks catch only part of what matters (issue 20)."""
    from axe_playwright_python.sync_playwright import Axe
    axe, found = Axe(), {}
    page = browser.new_page()
    try:
        for path in sorted(built_site.glob("*.html")):
            page.goto(f"{site_url}/{path.name}")
            violations = axe.run(page, options=WCAG_AA).response["violations"]
            bad = {v["id"]: len(v["nodes"]) for v in violations if v["impact"] in ("serious", "critical")}
            if bad:
                found[path.name] = bad
    finally:
        page.close()
    assert not found, f"serious or critical accessibility violations (rule: elements) per page: {found}"
