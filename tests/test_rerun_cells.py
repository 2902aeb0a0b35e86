"""scripts/rerun_cells.py: a cell that only works the first time is caught, with its number."""

import subprocess
import sys
from pathlib import Path

import nbformat

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "rerun_cells.py"


def notebook(tmp_path: Path, *cells: str) -> Path:
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


def run(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, timeout=300)


def test_a_cell_that_breaks_when_run_again_is_named(tmp_path):
    result = run(notebook(tmp_path, "total = 0", "total += 1\nassert total == 1, 'ran twice'", "print('end')"))
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "cell 1 fails when run the second time" in result.stdout
    assert "ran twice" in result.stdout


def test_cells_that_can_be_run_again_pass(tmp_path):
    result = run(notebook(tmp_path, "total = 0", "total = 1\nassert total == 1", "print('end')"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 code cells, each run twice" in result.stdout
