"""Does this Python have what the lessons need? Checked first thing, when `import utils` runs.

A missing or too old package otherwise fails deep inside a lesson, with a traceback from torchvision or
matplotlib that says nothing about the fix. Here each problem is one sentence that names what is wrong
and the one command (or Colab menu step) that fixes it.

Standard library only, and no syntax newer than Python 3.6, so that it runs even on a Python that the
rest of the course cannot run on, and can say so.
"""

import importlib.util
import os
import re
import sys

try:
    from importlib import metadata
except ImportError:  # Python 3.7 and older
    metadata = None

MINIMUM_PYTHON = (3, 10)
# The oldest versions the course is tested with: CI runs every lesson on requirements-colab.txt (Colab's
# stack, a release or two behind requirements.txt). Older releases lack parts the lessons use
# (torchvision.transforms.v2's batch transforms, fused optimizers, numpy 2).
MINIMUM = {
    "torch": (2, 11),
    "torchvision": (0, 26),
    "numpy": (2, 0),
    "matplotlib": (3, 10),
    "ipywidgets": (7, 7),
    "tqdm": (4, 60),
}
# torchvision's compiled ops load torch's libraries, so the two must be a matching pair: torchvision 0.N goes
# with torch 2.(N - 15) (0.26 with 2.11, 0.29 with 2.14; https://github.com/pytorch/vision#installation).
TORCHVISION_OFFSET = 15


class SetupError(RuntimeError):
    """This Python lacks something the lessons need; the message says what, and how to fix it."""


def in_colab() -> bool:
    """Return whether this kernel runs in Google Colab."""
    return "google.colab" in sys.modules


def fix_step() -> str:
    """Return the one step that installs the course's packages where this kernel runs."""
    if in_colab():
        return ("Runtime → Disconnect and delete runtime, then run the notebook again from the top "
                "(the course uses the packages Colab preinstalls; don't install others there)")
    return ("run `pip install -r requirements.txt` in the course's folder, in the environment this kernel "
            "runs in (" + sys.executable + "), then restart the kernel")


def version_tuple(text: str) -> tuple:
    """Return the leading numbers of a version string: '2.14.1+cu130' -> (2, 14, 1)."""
    match = re.match(r"\d+(\.\d+)*", text or "")
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def installed_versions() -> dict:
    """Return {package: installed version, or None when it is missing}, without importing the packages."""
    versions = {}
    for name in MINIMUM:
        try:
            versions[name] = metadata.version(name)
        except Exception:  # no metadata: missing, unless it imports all the same (then its version is unknown)
            versions[name] = "" if importlib.util.find_spec(name) else None
    return versions


def shown(version: tuple) -> str:
    return ".".join(str(part) for part in version)


def problems(python: tuple = None, versions: dict = None) -> list:
    """Return one sentence per unmet need (an empty list when everything is there)."""
    python = tuple(python or sys.version_info[:3])
    if python[:2] < MINIMUM_PYTHON:
        return [f"The course needs Python {shown(MINIMUM_PYTHON)} or newer, and this kernel runs Python "
                f"{shown(python)}: make a new environment with a newer Python (python.org, or "
                f"`conda create -n dl-basics python=3.12`) and install the course there (README, 'Set up')."]
    versions = installed_versions() if versions is None else versions
    found = []
    for name, oldest in MINIMUM.items():
        version = versions.get(name)
        if version is None:
            found.append(f"{name} is not installed.")
        elif version and version_tuple(version)[:2] < oldest:
            found.append(f"{name} {version} is too old: the lessons need {name} {shown(oldest)} or newer.")
    torch, vision = (version_tuple(versions.get(name)) for name in ("torch", "torchvision"))
    if not found and torch[:1] == (2,) and vision[:1] == (0,) and vision[1] != torch[1] + TORCHVISION_OFFSET:
        found.append(f"torch {versions['torch']} and torchvision {versions['torchvision']} are not a matching "
                     f"pair (torch 2.{torch[1]} goes with torchvision 0.{torch[1] + TORCHVISION_OFFSET}).")
    return found


def check_environment(python: tuple = None, versions: dict = None) -> None:
    """Raise a SetupError that names every unmet need and the step that fixes them all."""
    found = problems(python, versions)
    if found and found[0].startswith("The course needs Python"):
        raise SetupError(found[0])
    if found:
        raise SetupError(" ".join(found) + " To fix it: " + fix_step() + ".")


def data_problem(data_dir, cache_dir) -> str:
    """Return a sentence when the shipped data files are missing or nowhere can be unpacked, else ''."""
    sums = os.path.join(str(data_dir), "SHA256SUMS")
    if not os.path.exists(sums):
        return (f"The course's data folder {data_dir} is missing or incomplete (no SHA256SUMS): open the "
                f"notebook from inside the course's folder, or restore it with `git checkout -- data`.")
    with open(sums) as file:
        listed = [line.split()[1] for line in file if line.strip()]
    missing = [path for path in listed if not os.path.exists(os.path.join(str(data_dir), path))]
    if missing:
        return (f"{len(missing)} of the course's data files are missing from {data_dir} (for example "
                f"{missing[0]}): restore them with `git checkout -- data`, then run this cell again.")
    unpacked = [path[:-3] for path in listed if path.endswith(".gz")]
    to_unpack = [path for path in unpacked if not any(os.path.exists(os.path.join(str(folder), path))
                                                      for folder in (data_dir, cache_dir))]
    if to_unpack and not any(_can_write(folder) for folder in (data_dir, cache_dir)):
        return (f"Neither {data_dir} nor {cache_dir} can be written, and the data files are unpacked into one "
                f"of them once: set DLB_DATA_CACHE to a folder you can write to, then restart the kernel.")
    return ""


def _can_write(folder) -> bool:
    """Return whether files can be created in `folder` (or, when it does not exist yet, in its parent)."""
    folder = str(folder)
    while not os.path.exists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent
    return os.access(folder, os.W_OK)
