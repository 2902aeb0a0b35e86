"""The class load script: its arguments, the kernels' environment, its tables, tiny runs (one killed at the bound)."""

import os
import sys
from pathlib import Path

import nbformat
import psutil
import pytest

from scripts import class_load
from utils import threads

RESULT = {"finished": True, "seconds": 20.0, "peak_rss": 900e6, "peak_private": 450e6, "max_rss": 880e6,
          "cpu_seconds": 21.0,
          "error": None, "cells_done": 30, "cells": 30}


def write_notebook(path: Path, *sources: str) -> Path:
    """Write a notebook of code cells; return its path."""
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


def test_default_threads_are_the_policys_hub_choice():
    assert class_load.parse_arguments(["--students", "2"], threads.HUB_THREADS).threads_per_kernel == \
        threads.choose_threads({"JUPYTERHUB_USER": "student"}, cpu_count=2) == 1


def test_thread_argument_is_a_count_or_default():
    assert class_load.parse_threads("3") == 3
    assert class_load.parse_threads("Default") is None
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(Exception, match="whole number of threads, at least 1, or 'default'"):
            class_load.parse_threads(bad)


@pytest.mark.parametrize("argv, message", [
    (["--notebook", "02"], "say how many students"),
    (["--students", "0"], "whole number, at least 1"),
    (["--students", "2", "--timeout-s", "-5"], "positive number of seconds"),
    (["--students", "2", "--timeout-s", "soon"], "positive number of seconds"),
    (["--students", "2", "--notebook", "99"], "no notebook in notebooks/ starts with 99; there are 01"),
    (["--students", "2", "--notebook", "0"], "notebooks; give one, e.g. 02"),
    (["--students", "2", "--notebooks", "02"], "--notebooks goes with --measure-each"),
    (["--measure-each", "--students", "2"], "leave out --students"),
    (["--students", "2", "--threads-per-kernel", "many"], "or 'default'"),
])
def test_bad_arguments_say_what_is_wrong(argv, message, capsys):
    with pytest.raises(SystemExit):
        class_load.parse_arguments(argv, 1)
    assert message in capsys.readouterr().err


def test_measure_each_filters_notebooks():
    args = class_load.parse_arguments(["--measure-each", "--notebooks", "02", "05"], 1)
    assert [path.name[:2] for path in args.paths] == ["02", "05"]
    every = class_load.parse_arguments(["--measure-each"], 1).paths
    assert every == class_load.select_notebooks(class_load.NOTEBOOKS, []) and len(every) >= 7


def test_kernel_environment_sets_or_clears_the_thread_variables():
    base = {"PATH": "/bin", "OMP_NUM_THREADS": "8", "JUPYTERHUB_USER": "ada"}
    assert class_load.kernel_environment(base, 2) == {"PATH": "/bin", "DLB_THREADS": "2", "OMP_NUM_THREADS": "2",
                                                      "JUPYTERHUB_USER": "ada"}
    assert class_load.kernel_environment(base, None) == {"PATH": "/bin"}
    assert base["OMP_NUM_THREADS"] == "8"  # the caller's mapping is left alone


def test_rows_and_summary_tell_finished_failed_and_killed_apart():
    failed = {**RESULT, "error": "cell 4: AssertionError: too slow"}
    killed = class_load.student_result(None, {"peak_rss": 1.2e9, "peak_private": 0.7e9, "cpu_seconds": 50.0},
                                       cells_done=12, elapsed=60.0)
    run = {"students": [RESULT, failed, killed], "class_peak_memory": 2.5e9, "elapsed": 60.0}
    rows = class_load.student_rows(run["students"])
    assert rows[0] == [1, "yes", "20.0 s", "900 MB", "450 MB", "880 MB", "21.0 s", "✅ all held"]
    assert rows[1][-1] == "❌ cell 4: AssertionError: too slow"
    assert rows[2] == [3, "**no**", "> 60 s (killed)", "1,200 MB", "700 MB", "?", "50.0 s",
                       "not known: 12 code cells ran"]
    line = class_load.summary_line(run, "02_the_training_loop", 1, 60, 2)
    assert "3 students × 02_the_training_loop, 1 thread per kernel, 2 cores" in line
    assert "2/3 finished within 60 s, 1/3 with every assert held" in line
    assert "peak RSS up to 1,200 MB, private up to 700 MB" in line and "2,500 MB at once" in line
    assert "CPU time 92 s in all, 1.53 cores" in line
    assert "torch's default threads" in class_load.summary_line(run, "x", None, 60, 2)


def test_class_memory_counts_private_memory_of_each_and_shared_files_once():
    usage = [(1000, 600, 1.0), (900, 500, 2.0)]  # (RSS, private, CPU seconds): 400 MB of files shared
    assert class_load.class_memory(usage) == 600 + 500 + 400
    assert class_load.class_memory([]) == 0


def test_class_run_measures_each_kernel_in_its_folder_with_the_threads_set(tmp_path):
    notebook = write_notebook(
        tmp_path / "lesson.ipynb",
        f"import os, sys\nfrom pathlib import Path\nassert Path.cwd() == Path({str(tmp_path)!r})\n"
        f"assert sys.prefix == {sys.prefix!r}, 'kernel runs in another environment'",
        "assert os.environ['DLB_THREADS'] == os.environ['OMP_NUM_THREADS'] == '1'",
        "block = bytearray(200_000_000)  # 200 MB the kernel holds\nimport uuid\nPath(f'held-{uuid.uuid4().hex}').touch()",
        # Hold the block until both kernels hold theirs (kernels start with some jitter), then work 0.5 s of CPU:
        # the two blocks then overlap for certain, so the class peak must count both.
        "import time\ndeadline = time.monotonic() + 60\n"
        "while len(list(Path('.').glob('held-*'))) < 2 and time.monotonic() < deadline: time.sleep(0.05)\n"
        "end = time.process_time() + 0.5\nwhile time.process_time() < end: pass")
    run = class_load.run_class(notebook, 2, class_load.kernel_environment(os.environ, 1), timeout_s=120)
    for result in run["students"]:
        assert result["finished"] and result["error"] is None, result
        assert result["max_rss"] > 200e6 and result["cpu_seconds"] >= 0.5 and result["cells_done"] == 4
        assert 200e6 < result["peak_private"] < result["peak_rss"] <= result["max_rss"] * 1.05
    assert run["class_peak_memory"] >= 2 * 200e6


def test_class_run_reports_a_failed_assert_and_kills_what_runs_past_the_bound(tmp_path):
    failing = write_notebook(tmp_path / "failing.ipynb", "x = 1", "assert x == 2, 'x is not 2'", "y = 3")
    result = class_load.run_class(failing, 1, dict(os.environ), timeout_s=120)["students"][0]
    assert result["finished"] and result["error"] == "cell 1: AssertionError: x is not 2"
    slow = write_notebook(tmp_path / "slow.ipynb", "x = 1", "import time\ntime.sleep(600)")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    run = class_load.run_class(slow, 1, dict(os.environ), timeout_s=8)
    result = run["students"][0]
    assert not result["finished"] and result["cells_done"] == 1 and run["elapsed"] < 15
    assert "not known: 1 code cells ran" in class_load.assert_verdict(result)
    left = {p.pid for p in psutil.Process().children(recursive=True) if p.is_running() and p.status() != "zombie"}
    assert left <= before, "a kernel outlived the run"
