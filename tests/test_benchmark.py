"""The benchmark's pieces on tiny inputs: FLOP counting, peak measurement, tables, notebook timing."""

import sys

import nbformat
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import utils
from benchmarks import benchmark


def test_linear_weight_count_skips_biases():
    assert benchmark.linear_weight_count(utils.make_mlp([4, 3, 2])) == 4 * 3 + 3 * 2
    assert benchmark.linear_weight_count(utils.make_mlp(benchmark.LAYER_SIZES)) == 242_304


def test_training_flops_is_six_per_weight_and_sample():
    model = utils.make_mlp([4, 3, 2])
    assert benchmark.training_flops(model, samples=10, epochs=2) == 6 * 18 * 10 * 2


def test_training_flops_matches_torch_flop_counter():
    model = utils.make_mlp([8, 16, 4])
    images = torch.randn(5, 8, requires_grad=True)  # with an input gradient, every layer does 6 FLOPs per weight
    with FlopCounterMode(display=False) as counter:
        model(images).sum().backward()
    assert counter.get_total_flops() == benchmark.training_flops(model, samples=5)


def test_matmul_peak_is_a_positive_rate():
    assert benchmark.matmul_peak(torch.device("cpu"), size=32, repeats=2) > 0


def test_markdown_table_aligns_columns_and_checks_row_lengths():
    table = benchmark.markdown_table(["a", "long header"], [["wide cell", 1]])
    lines = table.splitlines()
    assert lines[0] == "| a         | long header |"
    assert lines[1] == "| --------- | ----------- |"
    assert lines[2] == "| wide cell | 1           |"
    assert benchmark.markdown_table(["a"], [["x | y"]]).splitlines()[2] == "| x \\| y |"
    with pytest.raises(ValueError, match="Every row needs 2 cells"):
        benchmark.markdown_table(["a", "b"], [["only one"]])


def test_training_table_reports_speedup_accuracy_and_share_of_peak():
    flops = benchmark.training_flops(utils.make_mlp(benchmark.LAYER_SIZES), samples=60_000, epochs=3)
    conventional = {"seconds": 25.0, "accuracy": 0.976}
    course = {"seconds": 5.0, "accuracy": 0.983, "train_seconds": flops / 100e9, "samples": 180_000, "flops": flops}
    table = benchmark.training_table(conventional, course, peak=125e9)
    assert "5.0x" in table and "98.30%" in table and "100.0 GFLOP/s" in table and "80% of 125.0 GFLOP/s" in table
    assert "6 x 242,304 linear weights x 180,000 samples = 261.7 GFLOP" in table
    assert "❌" not in table
    assert "❌" in benchmark.training_table(conventional, {**course, "accuracy": 0.97}, peak=125e9)


def test_notebook_table_totals_and_flags_failures_and_slow_notebooks():
    results = {"01.ipynb": {"seconds": 60.0, "cpu_seconds": 70.0, "error": None},
               "02.ipynb": {"seconds": 130.0, "cpu_seconds": 150.0, "error": None},
               "03.ipynb": {"seconds": 5.0, "cpu_seconds": 4.0, "error": "CellExecutionError: boom"}}
    table = benchmark.notebook_table(results)
    assert "| **total**" in table and "195.0 s" in table and "224.0 s" in table
    assert "failed: CellExecutionError: boom" in table
    assert table.count("❌") == 1 and table.count("✅") == 2  # 02 too slow; 01 and the total fine


def write_notebook(path, *sources):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    nbformat.write(notebook, path)
    return path


def test_time_notebook_runs_in_the_notebook_folder_and_reports_failures(tmp_path):
    good = write_notebook(tmp_path / "good.ipynb",
                          f"from pathlib import Path\nassert Path.cwd() == Path({str(tmp_path)!r})",
                          f"import sys\nassert sys.prefix == {sys.prefix!r}, 'kernel runs in another environment'")
    result = benchmark.time_notebook(good, timeout=60)
    assert result["error"] is None and result["seconds"] > 0
    bad = write_notebook(tmp_path / "bad.ipynb", "assert 1 + 1 == 3, 'arithmetic is broken'")
    assert "arithmetic is broken" in benchmark.time_notebook(bad, timeout=60)["error"]


def test_describe_puts_a_recipe_into_words():
    assert benchmark.describe({"lr": 1e-3}) == "Adam 0.001 constant, batch 256"
    recipe = {"batch_size": 128, "optimizer": "adamw", "lr": 4e-3, "schedule": "onecycle", "label_smoothing": 0.1}
    assert benchmark.describe(recipe) == "AdamW 0.004 onecycle, batch 128, label smoothing 0.1"


def test_machine_description_names_device_and_versions():
    line = benchmark.machine_description(torch.device("cpu"))
    assert line.startswith("Device: cpu") and torch.__version__ in line and "cores" in line


def test_time_notebook_times_every_code_cell(tmp_path):
    path = write_notebook(tmp_path / "cells.ipynb", "import time\ntime.sleep(0.2)", "x = 1")
    cells = benchmark.time_notebook(path, timeout=60)["cells"]
    assert [index for index, _, _ in cells] == [0, 1] and cells[0][1] >= 0.2 and cells[0][2] == "import time"


def test_slowest_cells_table_lists_the_slowest_first():
    results = {"a.ipynb": {"cells": [(1, 0.5, "x = 1"), (3, 9.0, "train()")]}, "b.ipynb": {"cells": [(2, 4.0, "y")]}}
    lines = benchmark.slowest_cells_table(results, count=2).splitlines()
    assert "a.ipynb" in lines[2] and "9.0 s" in lines[2] and "b.ipynb" in lines[3] and len(lines) == 4


def test_control_values_offer_other_values_of_each_kind_of_control():
    import ipywidgets
    assert benchmark.control_values(ipywidgets.Dropdown(options=["a", "b", "c"], value="a")) == ["b", "c"]
    assert benchmark.control_values(ipywidgets.IntSlider(value=5, min=0, max=10)) == [0, 10]
    assert benchmark.control_values(ipywidgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0)) == \
        pytest.approx([0.001, 10 ** -1.5, 1.0])
    assert benchmark.control_values(ipywidgets.FloatText(value=2.0)) == [3.0, 1.0]


def test_explorer_latency_changes_every_control(capsys):
    import ipywidgets
    seen = []
    slider = ipywidgets.IntSlider(value=1, min=0, max=4)
    slider.observe(lambda change: seen.append(change["new"]), "value")
    result = benchmark.explorer_latency(lambda: ipywidgets.VBox([slider, ipywidgets.Output()]))
    assert seen == [0, 2, 4] and result["changes"] == 3 and result["median"] >= 0
    assert "✅" in benchmark.explorer_table({"x": result})
