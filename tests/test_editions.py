"""scripts/editions.py: the classroom edition (no solutions) and the solved edition (every exercise answered).

These tests read the lessons without running them; CI runs both editions under nbval (.ci/run).
"""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import editions  # noqa: E402

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def read(path):
    return nbformat.read(path, as_version=4)


def checker_cells(notebook):
    return [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and "lesson.check_" in cell.source]


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.name[:2])
def test_every_exercise_has_one_runnable_solution(path):
    notebook = read(path)
    found = editions.exercises(notebook, path.name)
    assert [exercise.cell for exercise in found] == checker_cells(notebook), \
        "every cell that calls a checker needs a solution block right below it, and every solution an exercise"
    for exercise in found:
        compile(exercise.code, f"{path.name} solution below cell {exercise.cell}", "exec")


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.name[:2])
def test_classroom_edition_removes_the_solutions_and_nothing_else(path):
    notebook = read(path)
    edition = editions.classroom(notebook, path.name)
    assert [cell.source for cell in edition.cells if cell.cell_type == "code"] == \
        [cell.source for cell in notebook.cells if cell.cell_type == "code"], "code cells must stay as they are"
    text = "\n".join(cell.source for cell in edition.cells)
    assert "Show solution" not in text and "<details><summary>Show solution" not in text
    for exercise in editions.exercises(notebook, path.name):
        assert exercise.code not in text, f"the solution below cell {exercise.cell} is still in the classroom edition"
    source_markdown = [editions.SOLUTION.sub("", cell.source).strip("\n")
                       for cell in notebook.cells if cell.cell_type == "markdown"]
    assert [cell.source for cell in edition.cells if cell.cell_type == "markdown"] == \
        [text for text in source_markdown if text.strip()], "markdown outside the solutions must stay as it is"


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.name[:2])
def test_solved_edition_answers_every_exercise_and_asserts_its_checker(path):
    notebook = read(path)
    edition = editions.solved(notebook, path.name)
    found = {exercise.cell: exercise for exercise in editions.exercises(notebook, path.name)}
    assert len(edition.cells) == len(notebook.cells)
    for index, (before, after) in enumerate(zip(notebook.cells, edition.cells)):
        if index not in found:
            assert after.source == before.source
            continue
        assert found[index].code in after.source
        assert not editions.PLACEHOLDER.search(after.source.replace(found[index].code, "")), \
            "the marked lines must be replaced"
        assert "assert lesson.check_" in after.source
        compile(after.source, f"{path.name} solved cell {index}", "exec")


def test_a_marked_line_inside_a_function_replaces_the_whole_function():
    source = ('def flip(images, p):\n    """Doc."""\n    return images  # replace this line with your code\n'
              '\n\nlesson.check_flip(flip)')
    solved = editions.solve(source, "def flip(images, p):\n    return images.flip(-1)", "here")
    assert solved == ('def flip(images, p):\n    return images.flip(-1)\n\n'
                      'assert lesson.check_flip(flip), "here: the checker rejects its own solution"')


def test_a_solution_must_hold_one_code_block():
    with pytest.raises(ValueError, match="exactly one ```python block"):
        editions.solution_code("The answer is 6.", "lesson 05, cell 24")


def test_an_exercise_cell_must_mark_what_the_student_replaces():
    with pytest.raises(ValueError, match="marks no line"):
        editions.solve("answer = 3\nlesson.check_x(answer)", "answer = 4", "here")


def test_an_edition_outside_the_course_is_refused_with_a_reason(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "editions.py"), "classroom",
                             "--out", str(tmp_path / "classroom")], capture_output=True, text=True)
    assert result.returncode != 0
    assert "looks for utils/ one folder up" in result.stderr


def test_editions_are_written_beside_the_lessons(tmp_path):
    written = editions.write_edition("classroom", tmp_path / "classroom")
    assert [path.name for path in written] == [path.name for path in LESSONS]
