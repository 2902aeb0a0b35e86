"""End to end, as a student meets the course: JupyterLab in headless Chromium runs every notebook
that has an explorer, then each explorer's controls are changed and what it shows must change too.

Screenshots of each explorer before and after are left in test-artifacts/explorers/ for a person.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "explorers"
NOTEBOOK_SECONDS = 420  # a notebook takes at most 2 minutes of compute; leave room for a slow CI machine
EXPLORER_CALL = re.compile(r"(?<!def )\bmake_\w+_explorer\(")

pytestmark = pytest.mark.browser


def explorer_notebooks(root: Path = ROOT) -> list[Path]:
    """Return the notebooks with a code cell that displays an explorer (calls make_..._explorer())."""
    found = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        if any(c["cell_type"] == "code" and EXPLORER_CALL.search("".join(c["source"])) for c in cells):
            found.append(path)
    return found


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_lab_settings(folder: Path) -> None:
    """Keep every cell in the page (no windowing) and turn off the news and update checks."""
    settings = {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "autoStartDefaultKernel": True},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, values in settings.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory):
    """A JupyterLab server on a free port of 127.0.0.1, serving the repo; stopped afterwards."""
    home = tmp_path_factory.mktemp("lab")
    # Serve a copy of the notebooks (JupyterLab autosaves outputs into what it opens) beside links
    # to the real utils/ and data/, which is all a notebook's setup cell looks for.
    course = home / "course"
    shutil.copytree(ROOT / "notebooks", course / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for shared in ("utils", "data"):
        (course / shared).symlink_to(ROOT / shared, target_is_directory=True)
    write_lab_settings(home / "settings")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    log = open(home / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}", "--ServerApp.port_retries=0",
         "--allow-root"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited at start:\n{(home / 'server.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within 90 s:\n{(home / 'server.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b", re.MULTILINE)


def page_errors(page) -> list[str]:
    """Return the text of every error shown in the notebook's outputs."""
    texts = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
    return [text for text in texts if ERROR_TEXT.search(text)]


def shut_down_kernels(url: str, token: str) -> None:
    """Stop every kernel the server runs, so that one notebook's kernel never slows the next."""
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{url}/api/kernels", headers=headers), timeout=10) as answer:
        kernels = json.load(answer)
    for kernel in kernels:
        request = urllib.request.Request(f"{url}/api/kernels/{kernel['id']}", headers=headers, method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def accept_kernel_dialog(page) -> None:
    """Accept the default kernel if JupyterLab asks which one to start."""
    dialog_button = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        dialog_button.wait_for(timeout=5_000)
    except Exception:  # no dialog: the kernel started by itself
        return
    dialog_button.click()


def run_all_cells(page) -> None:
    """Run every cell from the Run menu and wait until each code cell has an execution count."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    deadline = time.monotonic() + NOTEBOOK_SECONDS
    while time.monotonic() < deadline:
        errors = page_errors(page)
        assert not errors, f"A cell failed in the browser:\n{errors[0][-2000:]}"
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        if prompts and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts):
            return
        time.sleep(1)
    page.screenshot(path=str(SHOTS / "timeout.png"))
    pytest.fail(f"Not every cell finished within {NOTEBOOK_SECONDS} s (prompts: {' '.join(prompts)}); "
                f"see {SHOTS / 'timeout.png'}.")


def explorer_view(cell) -> tuple[str, list[str]]:
    """Return what an explorer shows: the text of its output widgets and the sources of its images."""
    return (" ".join(cell.locator(".widget-output").all_inner_texts()),
            [img.get_attribute("src") or "" for img in cell.locator(".widget-output img").all()])


def wait_until_settled(cell, quiet_seconds: float = 2.0, limit_seconds: float = 60.0) -> None:
    """Wait until what an explorer shows has stopped changing (the kernel may still be redrawing)."""
    deadline = time.monotonic() + limit_seconds
    view, since = explorer_view(cell), time.monotonic()
    while time.monotonic() - since < quiet_seconds and time.monotonic() < deadline:
        time.sleep(0.25)
        if (latest := explorer_view(cell)) != view:
            view, since = latest, time.monotonic()
    cell.evaluate("el => Promise.all([...el.querySelectorAll('img')].map(img => img.decode().catch(() => null)))")
    cell.page.wait_for_timeout(1000)  # let Chromium paint the new figure before a screenshot


def blank_images(cell) -> int:
    """Return how many of the explorer's figures are blank (every pixel white or transparent)."""
    return cell.evaluate("""el => [...el.querySelectorAll('.widget-output img')].filter(img => {
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const context = canvas.getContext('2d');
        context.drawImage(img, 0, 0);
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < pixels.length; i += 4)
            if (pixels[i + 3] > 0 && (pixels[i] < 200 || pixels[i + 1] < 200 || pixels[i + 2] < 200)) return false;
        return true;
    }).length""")


def change_control(page, control, kind: str) -> str:
    """Change one control the way a student would and return a description of what was done."""
    if kind == "slider":
        before = control.locator(".widget-readout").inner_text()
        control.locator(".noUi-handle").first.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        if control.locator(".widget-readout").inner_text() == before:  # already at the right end
            for _ in range(6):
                page.keyboard.press("ArrowLeft")
        return f"slider {before} -> {control.locator('.widget-readout').inner_text()}"
    if kind == "dropdown":
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.selectedIndex")
        select.select_option(index=(current + 1) % len(options))
        return f"dropdown {options[current]!r} -> {options[(current + 1) % len(options)]!r}"
    if kind == "toggle":
        target = control.locator(".widget-toggle-button:not(.mod-active)").first
        label = target.inner_text()
        target.click()
        return f"toggle -> {label!r}"
    control.locator("input").click()
    return "checkbox toggled"


CONTROL_KINDS = {"slider": ".widget-slider", "dropdown": ".widget-dropdown",
                 "toggle": ".widget-toggle-buttons", "checkbox": ".widget-checkbox"}


@pytest.mark.parametrize("notebook", explorer_notebooks(), ids=lambda path: path.stem)
def test_explorers_render_and_respond(notebook, lab, browser):
    url, token = lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    try:
        page.set_default_timeout(60_000)
        page.goto(f"{url}/lab/tree/notebooks/{notebook.name}?token={token}&reset")
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for()
        accept_kernel_dialog(page)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=90_000)
        run_all_cells(page)
        cells = [cell for cell in page.locator(".jp-CodeCell").all()
                 if EXPLORER_CALL.search(cell.locator(".jp-InputArea-editor").inner_text())]
        assert cells, f"{notebook.name}: no explorer cell found in the page"
        for number, cell in enumerate(cells, start=1):
            shot = SHOTS / f"{notebook.stem}-explorer{number}"
            try:  # widgets render a moment after their cell has run
                cell.locator(", ".join(CONTROL_KINDS.values())).first.wait_for(timeout=60_000)
            except Exception:
                pass  # the assertion below explains
            controls = [(kind, control) for kind, selector in CONTROL_KINDS.items()
                        for control in cell.locator(selector).all()]
            assert controls, f"{notebook.name} explorer {number}: no control rendered (is the widget extension missing?)"
            cell.scroll_into_view_if_needed()
            wait_until_settled(cell)
            cell.page.screenshot(path=f"{shot}-before.png", clip=cell.bounding_box())
            # One control of each kind: a slider drag and a dropdown pick are what a student tries first.
            tried = {}
            for kind, control in controls:
                if kind in tried:
                    continue
                before = explorer_view(cell)
                action = change_control(page, control, kind)
                deadline = time.monotonic() + 60
                while explorer_view(cell) == before and time.monotonic() < deadline:
                    time.sleep(0.25)
                assert explorer_view(cell) != before, (
                    f"{notebook.name} explorer {number}: after {action}, what it shows did not change")
                wait_until_settled(cell)
                assert not blank_images(cell), f"{notebook.name} explorer {number}: after {action}, a figure is blank"
                assert not page_errors(page), f"{notebook.name}: {page_errors(page)[0][-2000:]}"
                tried[kind] = action
            cell.page.screenshot(path=f"{shot}-after.png", clip=cell.bounding_box())
            print(f"{notebook.name} explorer {number}: " + "; ".join(tried.values()))
    finally:
        page.close()
        shut_down_kernels(url, token)
