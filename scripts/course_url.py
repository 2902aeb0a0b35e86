"""Point the course at its repository: every notebook's Colab badge and setup cell, and the README.

The course's repository URL lives in one place, pyproject.toml's [project.urls] Repository. Whoever
hosts or forks the course runs

    python scripts/course_url.py https://github.com/OWNER/REPO

which writes the new URL there and rewrites every notebook's first two cells (the badge and the
setup cell, the same in every lesson) and the README's Colab links to match. Without an argument it
checks that everything agrees with pyproject.toml and says what does not (exit status 1).
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
URL_LINE = re.compile(r'^Repository = "([^"]*)"$', re.M)
GITHUB_URL = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+$")
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/main/(notebooks/[\w.-]+\.ipynb)")
GITHUB_FILE_LINK = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/blob/main/([\w./-]+)")

SETUP_CELL = '''\
# Setup, the same in every lesson. On your computer it finds the course's folder. In Google Colab it
# first downloads the course's code and data (once: after a restart it finds them again).
import sys
from pathlib import Path

COURSE_URL = "{url}"
if "google.colab" in sys.modules:
    root = Path.cwd() / "deep-learning-basics"
    if not (root / "utils").is_dir():
        !git clone -q --depth 1 {{COURSE_URL}} {{root}}
    if not (root / "utils").is_dir():
        raise RuntimeError(f"Could not download the course from {{COURSE_URL}}. Check that this runtime "
                           "can reach the internet, then run this cell again.")
else:
    root = Path.cwd().parent  # Jupyter runs a notebook in its own folder, notebooks/
sys.path.insert(0, str(root.resolve()))

import utils

device = utils.setup_notebook()'''


def course_url() -> str:
    """Return the course's repository URL as pyproject.toml records it."""
    match = URL_LINE.search(PYPROJECT.read_text())
    if not match:
        raise SystemExit('pyproject.toml has no line `Repository = "https://github.com/OWNER/REPO"` '
                         "under [project.urls]; add it.")
    return match.group(1)


def colab_link(url: str, notebook: str) -> str:
    """Return the link that opens `notebook` (a path such as notebooks/01_....ipynb) of repository `url` in Colab."""
    return f"https://colab.research.google.com/github/{url.removeprefix('https://github.com/')}/blob/main/{notebook}"


def setup_cell(url: str) -> str:
    """Return the setup cell every notebook starts with, for the repository `url`."""
    return SETUP_CELL.format(url=url)


def notebooks() -> list[Path]:
    """Return the lesson notebooks, in order."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def repoint_text(text: str, url: str) -> str:
    """Return `text` with every Colab link and link to a file of the course re-pointed to repository `url`."""
    text = COLAB_LINK.sub(lambda match: colab_link(url, match.group(1)), text)
    return GITHUB_FILE_LINK.sub(lambda match: f"{url}/blob/main/{match.group(1)}", text)


def problems(url: str) -> list[str]:
    """Return what disagrees with `url`: a badge that opens another path or repository, a changed setup cell."""
    found = []
    for path in notebooks():
        cells = json.loads(path.read_text())["cells"]
        badge, setup = "".join(cells[0]["source"]), "".join(cells[1]["source"])
        link = colab_link(url, f"notebooks/{path.name}")
        if link not in badge:
            found.append(f"{path.name}: its first cell has no badge opening {link}")
        if setup != setup_cell(url):
            found.append(f"{path.name}: its second cell differs from the setup cell in scripts/course_url.py")
    readme = (ROOT / "README.md").read_text()
    for match in COLAB_LINK.finditer(readme):
        if match.group(0) != colab_link(url, match.group(1)):
            found.append(f"README.md: {match.group(0)} does not open {url}")
    return found


def repoint(url: str) -> None:
    """Write `url` into pyproject.toml, every notebook's first two cells (badge, links, setup) and the README."""
    PYPROJECT.write_text(URL_LINE.sub(f'Repository = "{url}"', PYPROJECT.read_text()))
    for path in notebooks():
        notebook = json.loads(path.read_text())
        badge, setup = notebook["cells"][0], notebook["cells"][1]
        badge["source"] = repoint_text("".join(badge["source"]), url).splitlines(keepends=True)
        setup["source"] = setup_cell(url).splitlines(keepends=True)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    readme = ROOT / "README.md"
    readme.write_text(repoint_text(readme.read_text(), url))


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__)
        return 2
    if argv:
        url = argv[0].rstrip("/").removesuffix(".git")
        if not GITHUB_URL.match(url):
            print(f"Expected a GitHub repository URL such as https://github.com/OWNER/REPO; got {argv[0]!r}.")
            return 2
        repoint(url)
        print(f"The course now points at {url}: pyproject.toml, {len(notebooks())} notebooks and README.md.")
    found = problems(course_url())
    print("\n".join(found) if found else f"Every badge and setup cell points at {course_url()}.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
