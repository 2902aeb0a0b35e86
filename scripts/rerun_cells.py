"""Run lessons the way students do: every code cell twice in a row, in one kernel.

Students re-run cells: to see another draw, after fixing a typo, or by pressing Shift+Enter once too
often. A cell that only works the first time (it trains a model a second time on top of the first, or
changes a name the next cells need) then breaks the lesson or makes an assert fail. This script runs
each code cell of each notebook, then the same cell again, and stops at the first cell whose second run
raises, with the cell's number and the error. (Its first runs are the lesson top to bottom, as nbval
runs it, and "Run All Above" after a restart runs a prefix of exactly that, in a fresh kernel.)

    .venv/bin/python scripts/rerun_cells.py notebooks/01_what_is_deep_learning.ipynb
    .venv/bin/python scripts/rerun_cells.py solved/*.ipynb
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_runner import execute_notebook  # noqa: E402


def run_every_cell_twice(client, notebook) -> list[int]:
    """Execute each code cell twice in a row; return the cells run. A failing run raises, naming its cell."""
    ran = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for attempt in ("first", "second"):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                raise RuntimeError(f"cell {index} fails when run the {attempt} time:\n{error}") from None
        ran.append(index)
    return ran


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds a cell may run (default 600)")
    args = parser.parse_args()
    failed = 0
    for path in args.notebooks:
        try:
            execution = execute_notebook(path, args.timeout, run_every_cell_twice)
        except RuntimeError as error:
            print(f"FAILED {path}: {error}", flush=True)
            failed += 1
            continue
        print(f"passed {path}: {len(execution.result)} code cells, each run twice, "
              f"in {execution.seconds:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
