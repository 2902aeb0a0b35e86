"""How fast is the course? Prints markdown tables the README shows.

1. Time to accuracy on MNIST with the 784-256-128-64-10 MLP, 3 epochs: the conventional beginner
   pipeline (torchvision DataLoader + ToTensor + Normalize, Adam 1e-3, batch 256) against the course's
   own path (utils.make_loaders + utils.make_mlp + utils.fit), in the same run.
2. Distance to the hardware limit: the course path's training FLOP/s as a fraction of this machine's
   measured float32 matmul peak (the fastest torch.mm on large square matrices, in the same run).
3. Every notebook in notebooks/ executed top to bottom (nbclient, kernel in this environment,
   cwd = notebooks/), with its wall time and the total.

Run from the repository root:  .venv/bin/python benchmarks/benchmark.py  [--skip-notebooks | --only-notebooks]
Everything runs on utils.get_device(): the GPU when there is one, else the CPU.
"""

import argparse
import contextlib
import datetime
import os
import platform
import sys
import time
import unittest.mock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402

import utils  # noqa: E402

LAYER_SIZES = [784, 256, 128, 64, 10]
EPOCHS = 3
# A tuned recipe (its parts are taught in lessons 03 and 04; lesson 01 trains with plain Adam at 1e-3): batch 128,
# SGD with momentum under a one-cycle learning rate, weight decay and label
# smoothing (seeds 0-4 here: 98.22-98.37%, mean 98.30%; AdamW with the same tricks: mean 98.23%). The rest (data in
# memory, fused optimizer step) is how utils works for every lesson.
COURSE_RECIPE = {"batch_size": 128, "optimizer": "sgd", "lr": 0.2, "schedule": "onecycle",
                 "weight_decay": 1e-3, "label_smoothing": 0.1}
TARGETS = {"speedup": 5.0, "accuracy": 0.982, "notebook_s": 60.0, "course_s": 240.0, "explorer_s": 1.0}


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that wall-clock timings are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize()


def linear_weight_count(model: nn.Module) -> int:
    """Return the number of weights (not biases) in the model's nn.Linear layers."""
    return sum(layer.weight.numel() for layer in model.modules() if isinstance(layer, nn.Linear))


def training_flops(model: nn.Module, samples: int, epochs: int = 1) -> int:
    """Return 6 * linear weights * samples * epochs: the matmul FLOPs of training an MLP.

    Per sample and weight: 2 FLOPs (multiply, add) in the forward pass and 4 in the backward pass
    (gradient for the layer's input and for the weight). This is the usual count; the first layer needs
    no input gradient, so PyTorch runs fewer (28% fewer for the course MLP, whose first layer is big).
    """
    return 6 * linear_weight_count(model) * samples * epochs


def matmul_peak(device: torch.device, size: int = 2048, repeats: int = 5) -> float:
    """Return the best float32 FLOP/s of torch.mm on size x size matrices over `repeats` tries."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    torch.mm(a, b)  # warm-up: thread pool, kernel selection
    best = float("inf")
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        torch.mm(a, b)
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best


def conventional_pipeline(device: torch.device, epochs: int = EPOCHS) -> dict:
    """Train the MLP the way a beginner tutorial does; return seconds (data to test accuracy) and accuracy."""
    from torch.utils.data import DataLoader
    from torchvision import transforms

    utils.set_seed(0)
    start = time.perf_counter()
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_loader = DataLoader(utils.load_dataset("mnist", True, transform), batch_size=256, shuffle=True)
    test_loader = DataLoader(utils.load_dataset("mnist", False, transform), batch_size=1000)
    model = nn.Sequential(nn.Flatten(),
                          nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        model.train()
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in test_loader:
            images, labels = images.to(device), labels.to(device)
            correct += (model(images).argmax(1) == labels).sum().item()
    synchronize(device)
    return {"seconds": time.perf_counter() - start, "accuracy": correct / len(test_loader.dataset)}


def course_pipeline(device: torch.device, epochs: int = EPOCHS, seed: int = 0) -> dict:
    """Train the MLP with plain utils calls; return seconds, accuracy, training seconds and FLOPs."""
    recipe = dict(COURSE_RECIPE)
    batch_size = recipe.pop("batch_size")
    utils.set_seed(seed)
    start = time.perf_counter()
    train, _, test = utils.make_loaders("mnist", batch_size=batch_size, device=device)
    model = utils.make_mlp(LAYER_SIZES).to(device)
    history = utils.fit(model, train, epochs=epochs, progress=False, **recipe)
    accuracy = utils.evaluate(model, test)[1]
    synchronize(device)
    return {"seconds": time.perf_counter() - start, "accuracy": accuracy,
            "train_seconds": sum(history["seconds"]),
            "samples": len(train.labels) * epochs, "flops": training_flops(model, len(train.labels), epochs)}


def children_cpu_seconds() -> float:
    """Return the user+sys CPU seconds of finished child processes (the kernels), NaN where unknown."""
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_notebook(path: Path, timeout: int = 600) -> dict:
    """Execute a notebook cell by cell in this environment (cwd = its folder); return its seconds, CPU seconds,
    error and per-cell seconds [(cell index, seconds, first line), ...].

    `timeout` bounds each cell, as nbval's --nbval-cell-timeout does in pyproject.toml. Through
    scripts/notebook_runner.py, as the site builder and scripts/robustness.py: a stalled kernel gets the
    notebook one more try, in a fresh kernel, and a line says so.
    """
    from scripts.notebook_runner import execute_notebook

    def run_cells(client, notebook) -> tuple[str | None, list]:
        error, cells = None, []
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            cell_start = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except Exception as exc:  # a failing cell is reported in the table, and the next notebook runs
                error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
                break
            finally:
                first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
                cells.append((index, time.perf_counter() - cell_start, first_line[:60]))
        return error, cells

    before = children_cpu_seconds()
    execution = execute_notebook(path, timeout, run_cells)
    error, cells = execution.result
    return {"seconds": execution.seconds, "cpu_seconds": children_cpu_seconds() - before, "error": error,
            "cells": cells}


def slowest_cells_table(results: dict[str, dict], count: int = 10) -> str:
    """Return the `count` slowest cells of the whole course, slowest first, as a markdown table."""
    cells = [(seconds, name, index, line) for name, result in results.items()
             for index, seconds, line in result.get("cells", [])]
    slowest = sorted(cells, reverse=True)[:count]
    rows = [[name, index, f"{seconds:.1f} s", f"`{line}`"] for seconds, name, index, line in slowest]
    return markdown_table(["notebook", "cell", "wall time", "starts with"], rows)


def control_values(control) -> list:
    """Return up to three values, other than its current one, that an explorer's control can take."""
    if getattr(control, "options", None):
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
    elif hasattr(control, "base"):                               # FloatLogSlider: value = base ** exponent
        values = [control.base ** exponent for exponent in (control.min, (control.min + control.max) / 2, control.max)]
    elif hasattr(control, "min"):
        middle = (control.min + control.max) / 2
        values = [control.min, type(control.value)(middle), control.max]
    else:                                                        # a free number box
        values = [control.value + 1, control.value - 1]
    return [value for value in values if value != control.value][:3]


def explorer_controls(widget) -> list:
    """Return the value controls (sliders, dropdowns, number boxes) inside an explorer widget."""
    import ipywidgets

    if isinstance(widget, ipywidgets.ValueWidget) and not isinstance(widget, ipywidgets.Output):
        return [widget]
    return [control for child in getattr(widget, "children", ()) for control in explorer_controls(child)]


def explorer_latency(build) -> dict:
    """Build an explorer with `build()` and change each control as a student would; return build and change seconds.

    Setting a control's value runs the explorer's callback in this process, exactly as a slider move
    does in the notebook, so each change is timed from the new value to the redrawn figure.
    """
    import statistics

    import matplotlib.pyplot as plt

    start = time.perf_counter()
    explorer = build()
    built = time.perf_counter() - start
    changes = []
    for control in explorer_controls(explorer):
        for value in control_values(control):
            start = time.perf_counter()
            control.value = value
            changes.append(time.perf_counter() - start)
        plt.close("all")
    return {"build": built, "median": statistics.median(changes), "slowest": max(changes), "changes": len(changes)}


def transfer_explorer():
    """Return lesson 07's explorer, built as its notebook builds it (shipped checkpoint, digits 5-9)."""
    from utils import lesson07

    device = utils.get_device()
    model = utils.make_cnn(classes=5).to(device)
    utils.load_checkpoint(utils.data.DATA_DIR / "checkpoints" / "mnist_0to4_cnn.pt", model=model)
    train_x, train_y = utils.load_tensors("mnist", device=device)
    test_x, test_y = utils.load_tensors("mnist", train=False, device=device)
    pool_x, pool_y = utils.take_per_class(train_x[train_y >= 5], train_y[train_y >= 5] - 5, 100, seed=100)
    test_features = lesson07.transfer_features(model, test_x[test_y >= 5])
    return lesson07.make_transfer_explorer(lesson07.transfer_features(model, pool_x), pool_y,
                                           test_features, test_y[test_y >= 5] - 5)


def explorers() -> dict:
    """Return {name: function that builds the explorer}, one per lesson that has one, on utils.get_device()."""
    from utils import lesson03, lesson04, lesson05, lesson06, lesson08

    device = utils.get_device()
    return {"03 learning-rate descent": lesson03.make_descent_explorer,
            "04 overfitting (size, width, dropout)": lambda: lesson04.make_overfitting_explorer(device),
            "05 kernels": lesson05.make_kernel_explorer,
            "06 augmentations": lesson06.make_augmentation_explorer,
            "07 transfer (labels, reused layers)": transfer_explorer,
            "08 label noise": lambda: lesson08.make_noise_explorer(device)}


@contextlib.contextmanager
def quiet_display():
    """Within it, the lessons' explorers draw their figures without showing them (there is no notebook here)."""
    from utils import lesson03, lesson04, lesson05, lesson06, lesson07, lesson08

    with contextlib.ExitStack() as stack:
        for module in (lesson03, lesson04, lesson05, lesson06, lesson07, lesson08):
            stack.enter_context(unittest.mock.patch.object(module, "display", lambda *args, **kwargs: None))
        yield


def explorer_table(results: dict[str, dict]) -> str:
    """Return the explorer latency table: time to build, median and slowest answer to a control change."""
    rows = [[name, f"{r['build']:.2f} s", r["changes"], f"{r['median']:.2f} s", f"{r['slowest']:.2f} s",
             mark(r["median"] <= TARGETS["explorer_s"])] for name, r in results.items()]
    return markdown_table(["explorer", "build", "changes", "median answer", "slowest answer",
                           f"median ≤ {TARGETS['explorer_s']:.0f} s"], rows)


def cpu_model() -> str:
    """Return the CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    """Return the device in words, e.g. 'cpu (AMD EPYC, 2 cores)' or 'cuda (NVIDIA H100 80GB HBM3)'."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"{device.type} ({cpu_model()}, {os.cpu_count()} cores)" if device.type == "cpu" else device.type


def machine_description(device: torch.device) -> str:
    """Return one line saying where and when the benchmark ran."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"Device: {device_name(device)} | CPU: {cpu_model()}, {os.cpu_count()} cores, "
            f"torch uses {torch.get_num_threads()} threads | Python {platform.python_version()}, "
            f"torch {torch.__version__}, torchvision {torchvision.__version__} | "
            f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} | load average at start {load:.2f}")


def markdown_table(header: list[str], rows: list[list]) -> str:
    """Return a markdown table with aligned columns ('|' inside a cell is escaped)."""
    cells = [[str(cell).replace("|", "\\|") for cell in row] for row in [header, *rows]]
    if any(len(row) != len(header) for row in cells):
        raise ValueError(f"Every row needs {len(header)} cells, like the header {header}.")
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "| " + " | ".join("-" * width for width in widths) + " |")
    return "\n".join(lines)


def mark(met: bool) -> str:
    """Return a tick or a cross for a target met or missed."""
    return "✅" if met else "❌"


def describe(recipe: dict) -> str:
    """Return a fit recipe in words, e.g. 'AdamW 0.004 onecycle, batch 128, weight decay 0.1'."""
    optimizer = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD+momentum"}[recipe.get("optimizer", "adam")]
    words = [f"{optimizer} {recipe.get('lr', 1e-3):g} {recipe.get('schedule', 'constant')}",
             f"batch {recipe.get('batch_size', 256)}"]
    words += [f"{key.replace('_', ' ')} {recipe[key]:g}" for key in ("weight_decay", "label_smoothing") if recipe.get(key)]
    return ", ".join(words)


def training_table(conventional: dict, course: dict, peak: float) -> str:
    """Return the time-to-accuracy and hardware-limit table, with a note on how FLOPs are counted."""
    speedup = conventional["seconds"] / course["seconds"]
    achieved = course["flops"] / course["train_seconds"]
    rows = [
        ["how", "DataLoader + ToTensor + Normalize", "make_loaders + make_mlp + fit", ""],
        ["recipe", describe({"lr": 1e-3}), describe(COURSE_RECIPE), ""],
        ["wall time, data to test accuracy", f"{conventional['seconds']:.1f} s", f"{course['seconds']:.1f} s", ""],
        ["test accuracy", f"{conventional['accuracy']:.2%}", f"{course['accuracy']:.2%}",
         f"≥ {TARGETS['accuracy']:.1%} {mark(course['accuracy'] >= TARGETS['accuracy'])}"],
        ["speed-up", "1.0x", f"{speedup:.1f}x", f"≥ {TARGETS['speedup']:.0f}x {mark(speedup >= TARGETS['speedup'])}"],
        ["training speed", "", f"{achieved / 1e9:.1f} GFLOP/s", ""],
        ["share of float32 matmul peak", "", f"{achieved / peak:.0%} of {peak / 1e9:.1f} GFLOP/s", ""],
    ]
    header = ["MNIST MLP 784-256-128-64-10, 3 epochs", "conventional pipeline", "course (utils)", "target"]
    skipped = 2 * LAYER_SIZES[0] * LAYER_SIZES[1] / (6 * linear_weight_count(utils.make_mlp(LAYER_SIZES)))
    note = (f"Training FLOPs = 6 x {course['flops'] // 6 // course['samples']:,} linear weights x "
            f"{course['samples']:,} samples = {course['flops'] / 1e9:.1f} GFLOP in {course['train_seconds']:.2f} s "
            f"of training (2 FLOPs per weight and sample forward, 4 backward; the first layer needs no input "
            f"gradient, so the matmuls PyTorch actually runs are {skipped:.0%} fewer). Peak: the fastest torch.mm "
            "on large square float32 matrices, 5 tries before and 5 after the MNIST runs.")
    return markdown_table(header, rows) + "\n\n" + note


def notebook_table(results: dict[str, dict]) -> str:
    """Return the per-notebook wall-time table with the total."""
    rows = []
    for name, result in results.items():
        status = f"failed: {result['error']}" if result["error"] else mark(result["seconds"] <= TARGETS["notebook_s"])
        rows.append([name, f"{result['seconds']:.1f} s", f"{result['cpu_seconds']:.1f} s", status])
    total = sum(result["seconds"] for result in results.values())
    total_cpu = sum(result["cpu_seconds"] for result in results.values())
    rows.append(["**total**", f"{total:.1f} s", f"{total_cpu:.1f} s",
                 f"≤ {TARGETS['course_s']:.0f} s {mark(total <= TARGETS['course_s'])}"])
    return markdown_table(["notebook", "wall time", "CPU time (user+sys)",
                           f"≤ {TARGETS['notebook_s']:.0f} s each"], rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    part = parser.add_mutually_exclusive_group()
    part.add_argument("--skip-notebooks", action="store_true", help="only the MNIST and matmul measurements")
    part.add_argument("--only-notebooks", action="store_true", help="only the notebook wall times")
    parser.add_argument("--device", help="measure MNIST and matmul on this device instead of "
                        "utils.get_device(), e.g. cpu (notebooks always pick their own)")
    args = parser.parse_args(argv)
    device = torch.device(args.device) if args.device else utils.get_device()
    print(machine_description(device), flush=True)
    if not args.only_notebooks:
        utils.data.prepare_files("mnist")  # checksum and unpack once, outside both timings
        sizes = (2048, 3072) if device.type == "cpu" else (4096, 8192)
        peak_before = max(matmul_peak(device, size) for size in sizes)  # also starts threads / GPU context
        conventional = conventional_pipeline(device)
        print(f"conventional pipeline: {conventional['seconds']:.1f} s, {conventional['accuracy']:.2%}", flush=True)
        course = course_pipeline(device)
        print(f"course path: {course['seconds']:.1f} s, {course['accuracy']:.2%}", flush=True)
        peak = max(peak_before, *(matmul_peak(device, size) for size in sizes))  # best before and after
        print(f"\n### Time to accuracy on {device_name(device)}\n\n{training_table(conventional, course, peak)}\n",
              flush=True)
    if not args.only_notebooks:
        import matplotlib

        matplotlib.use("Agg")
        latencies = {}
        for name, build in explorers().items():
            with quiet_display():
                latencies[name] = explorer_latency(build)
            print(f"{name}: median answer {latencies[name]['median']:.2f} s", flush=True)
        print(f"\n### Explorers on {device_name(utils.get_device())}: a control change, answered\n\n"
              f"{explorer_table(latencies)}\n", flush=True)
    if not args.skip_notebooks:
        results = {}
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            results[path.name] = time_notebook(path)
            print(f"{path.name}: {results[path.name]['seconds']:.1f} s", flush=True)
        if results:
            print(f"\n### Whole course on {device_name(utils.get_device())}, every notebook top to bottom\n\n"
                  f"{notebook_table(results)}")
            print(f"\n### The slowest cells\n\n{slowest_cells_table(results)}")
        else:
            print("No notebooks found in notebooks/.")


if __name__ == "__main__":
    main()
