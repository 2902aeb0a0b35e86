"""Write the course's two other editions from its one source, the lessons in notebooks/.

    classroom/  every lesson without its solutions: each "Show solution" block is taken out, and
                nothing else changes (code cells, checkers and their hints stay as they are). For a
                teacher who hands out the exercises and keeps the answers.
    solved/     every lesson with every exercise answered by its own solution, pasted into the exercise
                cell the way a student does who reveals it and runs it; each checker call becomes an
                `assert`, so the lesson fails unless every checker says "Correct" to its own solution.
                For CI (tests/ and .ci/run): a solution must never break a later cell.

The convention the lessons follow (tests/test_editions.py checks it): an exercise is a code cell that
calls `lesson.check_...`, with the lines a student replaces marked `# replace ...` or
`# your code here`; its solution is the next `<details><summary>Show solution</summary>` block below
it, holding exactly one ```python block: the code that replaces the marked lines (when a marked line is
inside a function, the code replaces the whole function).

Both editions go into a folder beside notebooks/, because every lesson's setup cell finds the course
one folder up. To give a class the classroom edition, write it into the class's copy of the course in
place of the lessons: `python scripts/editions.py classroom --out notebooks` (docs/hub.md).

    .venv/bin/python scripts/editions.py classroom
    .venv/bin/python scripts/editions.py solved
    .venv/bin/python -m pytest solved/        # every lesson, every exercise solved
"""

from __future__ import annotations

import argparse
import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = re.compile(r"<details><summary>Show solution</summary>.*?</details>[ \t]*\n?", re.S)
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
PLACEHOLDER = re.compile(r"#\s*(replace\b|your code here)")
CHECKER_CALL = re.compile(r"^lesson\.check_\w+\(.*\)\s*$")


@dataclass
class Exercise:
    cell: int           # the exercise's code cell
    solution_cell: int  # the markdown cell that holds its solution
    code: str           # the solution's code


def solution_code(markdown: str, where: str) -> str:
    """Return the code of the one ```python block in a solution's markdown."""
    blocks = CODE_BLOCK.findall(markdown)
    if len(blocks) != 1:
        raise ValueError(f"{where}: a solution must hold exactly one ```python block (it holds "
                         f"{len(blocks)}), the code a student pastes into the exercise cell")
    return blocks[0].strip("\n")


def exercises(notebook, name: str = "notebook") -> list[Exercise]:
    """Return every exercise of a notebook with its solution's code, checking the convention."""
    found, cells = [], notebook.cells
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        for block in SOLUTION.findall(cell.source):
            where = f"{name}, cell {index}"
            above = [i for i in range(index - 1, -1, -1) if cells[i].cell_type == "code"]
            if not above or "lesson.check_" not in cells[above[0]].source:
                raise ValueError(f"{where}: the code cell above a solution must be its exercise, "
                                 "a cell that calls lesson.check_...")
            found.append(Exercise(above[0], index, solution_code(block, where)))
    cells_used = [exercise.cell for exercise in found]
    if len(set(cells_used)) != len(cells_used):
        raise ValueError(f"{name}: two solutions follow the same exercise cell")
    return found


def _placeholder_span(lines: list[str], where: str) -> tuple[int, int]:
    """Return the [first, last) lines a solution replaces: the marked lines, widened to a whole function."""
    marked = [i for i, line in enumerate(lines) if PLACEHOLDER.search(line)]
    if not marked:
        raise ValueError(f"{where}: the exercise cell marks no line with '# replace' or '# your code here'")
    first, last = marked[0], marked[-1] + 1
    if lines[first].startswith((" ", "\t")):   # inside a function: the solution redefines all of it
        first = max(i for i in range(first) if lines[i].startswith("def "))
        while last < len(lines) and (lines[last].startswith((" ", "\t")) or not lines[last].strip()):
            last += 1
    return first, last


def solve(source: str, code: str, where: str) -> str:
    """Return an exercise cell's source with the solution pasted in and every checker call asserted."""
    lines = source.splitlines()
    first, last = _placeholder_span(lines, where)
    out = lines[:first] + code.splitlines() + [""] * (lines[first].startswith("def ")) + lines[last:]
    asserted = 0
    for i, line in enumerate(out):
        if CHECKER_CALL.match(line):
            out[i] = f'assert {line.strip()}, "{where}: the checker rejects its own solution"'
            asserted += 1
    if not asserted:
        raise ValueError(f"{where}: no one-line lesson.check_...(...) call to assert")
    return "\n".join(out)


def classroom(notebook, name: str = "notebook"):
    """Return the notebook without its solutions (a cell left empty is dropped)."""
    exercises(notebook, name)   # the same convention, so both editions see the same exercises
    out = copy.deepcopy(notebook)
    kept = []
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = SOLUTION.sub("", cell.source).strip("\n")
            if not cell.source.strip():
                continue
        kept.append(cell)
    out.cells = kept
    return out


def solved(notebook, name: str = "notebook"):
    """Return the notebook with every exercise answered by its own solution, each checker asserted."""
    out = copy.deepcopy(notebook)
    for number, exercise in enumerate(exercises(notebook, name), 1):
        where = f"{name}, exercise cell {exercise.cell} (solution {number})"
        out.cells[exercise.cell].source = solve(notebook.cells[exercise.cell].source, exercise.code, where)
    return out


def write_edition(kind: str, out_folder: Path, source_folder: Path = ROOT / "notebooks") -> list[Path]:
    """Write one edition of every lesson in `source_folder` into `out_folder`; return the files."""
    make = {"classroom": classroom, "solved": solved}[kind]
    out_folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source_folder.glob("[0-9][0-9]_*.ipynb")):
        edition = make(nbformat.read(path, as_version=4), path.name)
        target = out_folder / path.name
        nbformat.write(edition, target)
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("edition", choices=["classroom", "solved"])
    parser.add_argument("--out", type=Path, help="folder to write into (default: classroom/ or solved/ "
                        "beside notebooks/; it must sit beside utils/, where the setup cell looks)")
    args = parser.parse_args()
    out = (args.out or ROOT / args.edition).resolve()
    if not (out.parent / "utils").is_dir():
        parser.error(f"{out} is not a folder of the course: the lessons' setup cell looks for utils/ one "
                     f"folder up, so write the edition into a folder beside notebooks/ (for example "
                     f"{ROOT / args.edition})")
    for path in write_edition(args.edition, out):
        print(path.relative_to(out.parent))


if __name__ == "__main__":
    main()
