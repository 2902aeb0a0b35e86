"""Can one server hold a class? Run N students' kernels on one notebook at once and report each of them.

Every student is a process of its own that starts a fresh kernel ("python3", this environment, cwd =
notebooks/, as benchmarks/benchmark.py and nbval do) and executes the notebook top to bottom with
nbclient; all of them start together. While they run, the resident memory (RSS) of each kernel and
its children is sampled every 0.2 s. The whole run is bounded by --timeout-s: kernels still running
then are killed and reported as not finished. Per student it prints whether the notebook finished,
its wall time, its kernel's peak memory, the kernel's CPU time, and whether every assert held (no cell
raised), as a markdown table and a summary line.

Memory, per kernel (with its children): peak RSS, sampled; peak private memory, sampled: RSS minus the
pages of mapped files (torch's libraries, several hundred MB, which all kernels of one environment
share), so what each more student costs; and the exact peak RSS of the kernel process from getrusage.

The kernels get DLB_THREADS and OMP_NUM_THREADS set to --threads-per-kernel (default: 1, the thread
policy's choice on a JupyterHub, see utils/threads.py); `--threads-per-kernel default` leaves both
unset, so torch takes one thread per core in every kernel, as it does on a laptop.

--measure-each runs every notebook (or those --notebooks names) alone, one kernel at a time, and
reports its peak kernel memory and CPU time: the numbers behind the sizing table in docs/hub.md.

Run from the repository root:
    .venv/bin/python scripts/class_load.py --students 4 --notebook 02 --timeout-s 900
    .venv/bin/python scripts/class_load.py --students 2 --notebook 02 --threads-per-kernel default
    .venv/bin/python scripts/class_load.py --measure-each --notebooks 02 05
MB and GB here are 10^6 and 10^9 bytes.
"""

import argparse
import datetime
import json
import multiprocessing
import os
import queue
import resource
import statistics
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import nbclient
import nbformat
import psutil
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NOTEBOOKS = ROOT / "notebooks"
SAMPLE_S = 0.2
THREAD_VARIABLES = ("DLB_THREADS", "OMP_NUM_THREADS")
# Also cleared for `--threads-per-kernel default`: on a hub, or with either set, torch would not take its own choice.
DEFAULT_CLEARS = ("JUPYTERHUB_USER", "MKL_NUM_THREADS")


def parse_threads(text: str) -> int | None:
    """Return the thread count an argument names (None for 'default': torch's own choice)."""
    if text.strip().lower() == "default":
        return None
    try:
        threads = int(text)
    except ValueError:
        threads = 0
    if threads < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of threads, at least 1, or 'default'; got {text!r}")
    return threads


def positive_number(text: str) -> float:
    """Return the positive number an argument names."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, such as 900; got {text!r}")
    return value


def positive_whole(text: str) -> int:
    """Return the positive whole number an argument names."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, at least 1, such as 4; got {text!r}")
    return value


def kernel_environment(base: Mapping[str, str], threads: int | None) -> dict[str, str]:
    """Return the environment the kernels start with: `threads` in DLB_THREADS and OMP_NUM_THREADS, or neither."""
    env = dict(base)
    for name in THREAD_VARIABLES + (DEFAULT_CLEARS if threads is None else ()):
        env.pop(name, None)
    if threads is not None:
        env.update({name: str(threads) for name in THREAD_VARIABLES})
    return env


def select_notebooks(folder: Path, prefixes: list[str]) -> list[Path]:
    """Return the numbered notebooks in `folder` whose names start with one of `prefixes` (all when empty)."""
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    return [path for path in paths if not prefixes or any(path.name.startswith(prefix) for prefix in prefixes)]


def student(index: int, path: str, env: dict, timeout_s: float, go, messages) -> None:
    """Execute the notebook in a fresh kernel (in this process of its own) and put the result on `messages`."""
    os.environ.clear()
    os.environ.update(env)  # jupyter_client starts the kernel with this process's environment
    notebook = nbformat.read(path, as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    state = {"cell": None, "done": 0}

    def started(cell, cell_index, **_):
        state["cell"] = cell_index

    def executed(cell, cell_index, **_):
        state["done"] += 1
        messages.put(("progress", index, state["done"]))

    # Both timeouts at the run's bound: the parent kills what is left then; 8 kernels starting at once are slow.
    client = nbclient.NotebookClient(notebook, timeout=max(1, int(timeout_s)), startup_timeout=max(60, int(timeout_s)),
                                     kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}},
                                     on_cell_start=started, on_cell_executed=executed)
    go.wait()
    start = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError as exc:
        error = f"cell {state['cell']}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # a cell timeout or a dead kernel: reported, as a failed assert is
        error = f"cell {state['cell']}: {type(exc).__name__}: {str(exc).strip()[:200]}"
    seconds = time.perf_counter() - start
    # The kernel was this process's only child, and it has been waited for: its exact CPU time and peak RSS.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    messages.put(("result", index, {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                                    "max_rss": usage.ru_maxrss * 1024, "error": error,
                                    "cells_done": state["done"], "cells": code_cells}))


def tree_usage(pid: int) -> tuple[int, int, float]:
    """Return (RSS bytes, private bytes, CPU seconds) summed over the descendants of `pid` (its kernel and children).

    Private = RSS minus the resident pages of mapped files: mostly torch's libraries, which every kernel of
    the same environment shares, so that each more kernel costs its private memory only.
    """
    rss, private, cpu = 0, 0, 0.0
    try:
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return rss, private, cpu
    for process in descendants:
        try:
            with process.oneshot():
                memory = process.memory_info()
                times = process.cpu_times()
        except psutil.Error:  # it ended between listing and reading
            continue
        rss += memory.rss
        private += memory.rss - getattr(memory, "shared", 0)  # no "shared" outside Linux: count it all
        cpu += times.user + times.system + times.children_user + times.children_system
    return rss, private, cpu


def kill_tree(process) -> None:
    """Kill a student's process and its kernel (and the kernel's children), and wait for them."""
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    for child in descendants:
        try:
            child.kill()
        except psutil.Error:
            pass
    process.kill()
    process.join()
    psutil.wait_procs(descendants, timeout=5)


def collect(messages, results: dict, progress: dict, wait_s: float) -> None:
    """Move the messages that arrive within `wait_s` into `results` (finished students) and `progress` (cells done)."""
    try:
        message = messages.get(timeout=wait_s)
        while True:
            kind, index, payload = message
            (results if kind == "result" else progress)[index] = payload
            message = messages.get_nowait()
    except queue.Empty:
        pass


def run_class(path: Path, students: int, env: dict, timeout_s: float) -> dict:
    """Run `students` kernels on one notebook at once, at most timeout_s; return their results and the class peak."""
    context = multiprocessing.get_context("spawn")  # a clean process per student, as each would have on a hub
    go, messages = context.Event(), context.Queue()
    workers = [context.Process(target=student, args=(i, str(path), env, timeout_s, go, messages))
               for i in range(students)]
    for worker in workers:
        worker.start()
    peaks, privates, cpu = [0] * students, [0] * students, [0.0] * students
    results, progress, class_peak = {}, {}, 0
    start = time.monotonic()
    go.set()
    try:
        while len(results) < students and time.monotonic() - start < timeout_s:
            running = [i for i in range(students) if i not in results]
            usage = {i: tree_usage(workers[i].pid) for i in running}
            for i, (rss, private, seconds) in usage.items():
                peaks[i], privates[i], cpu[i] = max(peaks[i], rss), max(privates[i], private), max(cpu[i], seconds)
            class_peak = max(class_peak, class_memory(usage.values()))
            collect(messages, results, progress, SAMPLE_S)
            for i in running:  # a student process that died without a result (it should not)
                if i not in results and not workers[i].is_alive():
                    collect(messages, results, progress, 1.0)
                    results.setdefault(i, {"crashed": workers[i].exitcode})
        elapsed = time.monotonic() - start
    finally:
        for i, worker in enumerate(workers):
            if i not in results:
                kill_tree(worker)
            worker.join()
    return {"students": [student_result(results.get(i), {"peak_rss": peaks[i], "peak_private": privates[i],
                                                          "cpu_seconds": cpu[i]}, progress.get(i, 0), elapsed)
                         for i in range(students)],
            "class_peak_memory": class_peak, "elapsed": elapsed}


def class_memory(usage) -> int:
    """Return the memory a set of kernels needs at one instant: each one's private memory, the shared files once."""
    usage = list(usage)
    return sum(private for _, private, _ in usage) + max((rss - private for rss, private, _ in usage), default=0)


def student_result(result: dict | None, sampled: dict, cells_done: int, elapsed: float) -> dict:
    """Return one student's row data: finished or not, seconds, memory, CPU time, error."""
    if result is None or "crashed" in result:
        error = None if result is None else f"student process exited with code {result['crashed']}"
        return {"finished": False, "seconds": elapsed, "max_rss": None, "error": error, "cells_done": cells_done,
                "cells": None, **sampled}
    # rusage's exact CPU time once the kernel has ended; the samples' peaks
    return {"finished": True, **sampled, **result}


def megabytes(count: int | None) -> str:
    """Return a byte count in MB ('?' when unknown)."""
    return "?" if count is None else f"{count / 1e6:,.0f} MB"


def assert_verdict(result: dict) -> str:
    """Return whether every assert held: ✅, ❌ with the failing cell, or not known (not finished)."""
    if result["error"]:
        return f"❌ {result['error']}"
    if not result["finished"]:
        cells = f" of {result['cells']}" if result["cells"] else ""
        return f"not known: {result['cells_done']}{cells} code cells ran"
    return "✅ all held"


def student_rows(results: list[dict]) -> list[list]:
    """Return one table row per student."""
    rows = []
    for i, result in enumerate(results, 1):
        wall = f"{result['seconds']:.1f} s" if result["finished"] else f"> {result['seconds']:.0f} s (killed)"
        rows.append([i, "yes" if result["finished"] else "**no**", wall, *memory_cells(result),
                     f"{result['cpu_seconds']:.1f} s", assert_verdict(result)])
    return rows


def memory_cells(result: dict) -> list[str]:
    """Return a result's peak RSS (sampled), peak private memory (sampled) and peak RSS (exact, from getrusage)."""
    return [megabytes(result["peak_rss"]), megabytes(result["peak_private"]), megabytes(result["max_rss"])]


MEMORY_HEADER = ["peak RSS", "peak private", "peak RSS (getrusage)"]
STUDENT_HEADER = ["student", "finished", "wall time", *MEMORY_HEADER, "CPU time (user+sys)", "every assert held"]


def summary_line(run: dict, notebook: str, threads: int | None, timeout_s: float, cores: int | None,
                 unset: str = "torch's default threads") -> str:
    """Return one line: how many finished and passed, wall times, memory and CPU of the whole class."""
    results = run["students"]
    finished = [r for r in results if r["finished"]]
    passed = [r for r in finished if not r["error"]]
    walls = [r["seconds"] for r in finished]
    cpu = sum(r["cpu_seconds"] for r in results)
    thread_words = unset if threads is None else f"{threads} thread{'s' * (threads != 1)}"
    times = (f"wall time median {statistics.median(walls):.1f} s, max {max(walls):.1f} s" if walls
             else "no kernel finished")
    students = f"{len(results)} student{'s' * (len(results) != 1)}"
    return (f"**{students} × {notebook}, {thread_words} per kernel, {cores} cores:** "
            f"{len(finished)}/{len(results)} finished within {timeout_s:g} s, {len(passed)}/{len(results)} with every "
            f"assert held; {times}; per kernel peak RSS up to {megabytes(max(r['peak_rss'] for r in results))}, "
            f"private up to {megabytes(max(r['peak_private'] for r in results))}; all kernels together at most "
            f"{megabytes(run['class_peak_memory'])} at once (private memory, shared files once); "
            f"CPU time {cpu:.0f} s in all, "
            f"{cpu / max(run['elapsed'], 1e-9):.2f} cores busy on average over {run['elapsed']:.0f} s.")


def measure_rows(measured: dict[str, dict]) -> list[list]:
    """Return one row per notebook run alone: wall time, peak memory, CPU time, asserts."""
    rows = []
    for name, result in measured.items():
        wall = f"{result['seconds']:.1f} s" if result["finished"] else f"> {result['seconds']:.0f} s (killed)"
        rows.append([name, wall, *memory_cells(result), f"{result['cpu_seconds']:.1f} s", assert_verdict(result)])
    return rows


MEASURE_HEADER = ["notebook, alone", "wall time", *MEMORY_HEADER, "CPU time (user+sys)", "every assert held"]


def machine_line(threads: int | None, unset: str = "unset (torch's default)") -> str:
    """Return one line saying where and when this ran, and the thread setting (`unset` when there is none)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    memory = psutil.virtual_memory()
    setting = unset if threads is None else str(threads)
    return (f"{os.cpu_count()} cores, {memory.total / 1e9:.1f} GB RAM ({memory.available / 1e9:.1f} GB free), "
            f"Python {sys.version.split()[0]}, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
            f"load average at start {load:.2f}; DLB_THREADS and OMP_NUM_THREADS for the kernels: {setting}")


def parse_arguments(argv: list[str] | None, default_threads: int) -> argparse.Namespace:
    """Return the checked command-line arguments (exits with a message saying what is wrong)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=positive_whole, help="how many kernels run the notebook at once")
    parser.add_argument("--notebook", default="02", help="the notebook's number or name prefix (default 02)")
    parser.add_argument("--timeout-s", type=positive_number, default=1200.0,
                        help="seconds for the whole run (per notebook with --measure-each); then kernels are killed")
    parser.add_argument("--threads-per-kernel", type=parse_threads, default=default_threads, metavar="K",
                        help=f"DLB_THREADS and OMP_NUM_THREADS for every kernel (default {default_threads}, the "
                             "policy's JupyterHub choice), or 'default' for torch's own")
    parser.add_argument("--measure-each", action="store_true",
                        help="run each notebook alone (one kernel) and report its peak memory and CPU time")
    parser.add_argument("--notebooks", nargs="+", default=[], metavar="PREFIX",
                        help="with --measure-each: only these notebooks, e.g. 02 05 (default all)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.measure_each and args.students is not None:
        parser.error("--measure-each runs one kernel per notebook; leave out --students")
    if not args.measure_each and args.notebooks:
        parser.error("--notebooks goes with --measure-each; for a class run name one notebook with --notebook")
    if not args.measure_each and args.students is None:
        parser.error("say how many students run at once, e.g. --students 4 (or use --measure-each)")
    args.paths = select_notebooks(NOTEBOOKS, args.notebooks if args.measure_each else [args.notebook])
    available = ", ".join(path.name[:2] for path in select_notebooks(NOTEBOOKS, []))
    if not args.paths:
        parser.error(f"no notebook in notebooks/ starts with {' or '.join(args.notebooks or [args.notebook])}; "
                     f"there are {available}")
    if not args.measure_each and len(args.paths) > 1:
        parser.error(f"--notebook {args.notebook} names {len(args.paths)} notebooks; give one, e.g. 02")
    return args


def main(argv: list[str] | None = None) -> int:
    # Imported here, not at the top: both load torch, and every student's process re-imports this module
    # (multiprocessing's spawn), where torch would add seconds of CPU and hundreds of MB per student.
    from benchmarks.benchmark import markdown_table
    from utils.threads import HUB_THREADS

    args = parse_arguments(argv, HUB_THREADS)
    env = kernel_environment(os.environ, args.threads_per_kernel)
    print(machine_line(args.threads_per_kernel), flush=True)
    if args.measure_each:
        measured = {}
        for path in args.paths:
            measured[path.stem] = run_class(path, 1, env, args.timeout_s)["students"][0]
            print(f"{path.stem}: {measured[path.stem]['seconds']:.1f} s", flush=True)
        print("\n" + markdown_table(MEASURE_HEADER, measure_rows(measured)))
        outcome = list(measured.values())
        report = measured
    else:
        run = run_class(args.paths[0], args.students, env, args.timeout_s)
        print("\n" + markdown_table(STUDENT_HEADER, student_rows(run["students"])))
        print("\n" + summary_line(run, args.paths[0].stem, args.threads_per_kernel, args.timeout_s, os.cpu_count()))
        outcome = run["students"]
        report = run
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0 if all(r["finished"] and not r["error"] for r in outcome) else 1


if __name__ == "__main__":
    sys.exit(main())
