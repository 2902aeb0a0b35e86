"""Open in Colab, rehearsed: the setup cell, the badges, and one whole notebook run the way Colab runs it.

Colab opens a notebook from GitHub in an empty folder (/content) with `google.colab` already imported,
so the setup cell takes its Colab branch: it clones the course and imports `utils` from the clone.
The rehearsal does the same with no network: an empty folder, a stand-in `google.colab` module that
an IPython startup file imports, and git told (in a throwaway HOME) to fetch the course URL from
this checkout's committed state instead of GitHub.
"""

import json
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import course_url  # noqa: E402

REHEARSED = "02_the_training_loop.ipynb"   # short, and it uses data, utils and its lesson's checkers


def test_course_url_is_a_github_repository():
    assert course_url.GITHUB_URL.match(course_url.course_url())


@pytest.mark.parametrize("path", course_url.notebooks(), ids=lambda path: path.stem)
def test_badge_opens_this_notebook_and_setup_cell_is_the_canonical_one(path):
    cells = json.loads(path.read_text())["cells"]
    link = course_url.colab_link(course_url.course_url(), f"notebooks/{path.name}")
    assert f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({link})" in \
        "".join(cells[0]["source"]), f"{path.name}: the badge should open {link}"
    assert "".join(cells[1]["source"]) == course_url.setup_cell(course_url.course_url()), \
        f"{path.name}: the setup cell differs from scripts/course_url.py's; run python scripts/course_url.py"


def test_repoint_rewrites_every_link_and_keeps_each_notebook_path():
    text = "[a](https://colab.research.google.com/github/old/course/blob/main/notebooks/01_x.ipynb) and " \
           "[b](https://colab.research.google.com/github/old/course/blob/main/notebooks/02_y.ipynb)"
    new = course_url.repoint_text(text, "https://github.com/me/fork")
    assert new.count("github/me/fork/blob/main/notebooks/") == 2
    assert "01_x.ipynb" in new and "02_y.ipynb" in new and "old/course" not in new
    glossary = course_url.repoint_text("(https://github.com/old/course/blob/main/docs/glossary.md#epoch)",
                                       "https://github.com/me/fork")
    assert glossary == "(https://github.com/me/fork/blob/main/docs/glossary.md#epoch)"


def test_no_problems_with_the_committed_url():
    assert course_url.problems(course_url.course_url()) == []


def test_script_refuses_what_is_not_a_github_url(capsys):
    assert course_url.main(["not a url"]) == 2
    assert "Expected a GitHub repository URL" in capsys.readouterr().out


def fake_colab(folder: Path) -> dict:
    """Return environment variables for a kernel that looks like Colab's, with its files under `folder`."""
    package = folder / "fake-colab" / "google" / "colab"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab module (a test double)."""\n')
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # Colab's kernel has it imported already\n")
    home = folder / "home"
    home.mkdir()
    subprocess.run(["git", "config", "--file", str(home / ".gitconfig"),
                    f"url.file://{ROOT}.insteadOf", course_url.course_url()], check=True)
    return {"HOME": str(home), "IPYTHONDIR": str(folder / "ipython"), "PYTHONPATH": str(package.parent.parent),
            "GIT_CONFIG_NOSYSTEM": "1"}


def run_cells(notebook, content: Path, monkeypatch, env: dict) -> None:
    """Execute the notebook in a kernel started in `content` with `env`."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(content)}})
    client.execute()


def stdout(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.get("name") == "stdout")


@pytest.mark.skipif(subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode,
                    reason="the rehearsal clones this checkout's last commit, and it has none")
def test_colab_rehearsal_runs_a_whole_notebook_from_a_fresh_clone(tmp_path, monkeypatch):
    content = tmp_path / "content"            # Colab's empty working folder
    content.mkdir()
    env = fake_colab(tmp_path)
    notebook = nbformat.read(ROOT / "notebooks" / REHEARSED, as_version=4)
    where = nbformat.v4.new_code_cell("print('utils from', utils.__file__)\nprint('data in', utils.data.DATA_DIR)")
    notebook.cells.append(where)
    run_cells(notebook, content, monkeypatch, env)
    clone = content / "deep-learning-basics"
    print(stdout(notebook.cells[1]))
    assert (clone / "utils" / "__init__.py").is_file() and (clone / "data" / "SHA256SUMS").is_file()
    assert f"utils from {clone / 'utils' / '__init__.py'}" in stdout(where)
    assert f"data in {clone / 'data'}" in stdout(where)
    assert "Runtime → Change runtime type" in stdout(notebook.cells[1])  # no GPU here: says where to get one

    # "Runtime → Restart" and run again: the clone is found, not fetched twice.
    marker = clone / "utils" / "rehearsal-marker"
    marker.write_text("still the first clone")
    again = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(notebook.cells[1].source)])
    run_cells(again, content, monkeypatch, env)
    assert marker.is_file() and "Device:" in stdout(again.cells[0])
