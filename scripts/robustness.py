"""Do the lessons' claims hold on other machines? Re-execute every notebook under variations that stand in for them.

A claim that passes here only proves it for this machine: other CPUs, thread counts, random draws and a
busy machine change the floating-point results. This script re-executes each notebook (nbclient, a kernel
in this environment, cwd = notebooks/, as nbval does) once per variation:

  as shipped        nothing changed (on a GPU when there is one: the lessons pick it by themselves)
  seed +1 .. +4     every seed the lessons use shifted by DLB_SEED_OFFSET (utils/seeds.py): other draws
  1 thread          OMP_NUM_THREADS=1: floating-point sums in another order
  AVX2 kernels      ATEN_CPU_CAPABILITY=avx2, MKL_ENABLE_INSTRUCTIONS=AVX2: another CPU's kernels
  default kernels   ATEN_CPU_CAPABILITY=default, MKL_ENABLE_INSTRUCTIONS=SSE4_2: the plainest kernels
  busy machine      one spinning process per core runs alongside (bounded in time, stopped afterwards)

After every cell that asserts a comparison (`assert a >= b, "..."`, at the top level or in a top-level
`for` loop, then once per iteration) it evaluates both sides in the kernel, so besides pass/fail it
reports each claim's margin and the worst value seen. It prints two markdown tables: notebook x
variation (✅, or ❌ with the failing asserts' messages), and per claim the threshold and the worst
value across the variations.

A threshold set from a handful of seeds only proves it for those seeds. `--seeds K` adds the variations
"seed +1" .. "seed +K" (K = 20 or more before a lesson's thresholds are trusted), and `--combine` runs
each extra seed from +5 on under one of "1 thread", "AVX2 kernels", "default kernels" in turn, so that
other draws also meet other kernels.

Run before changing any lesson (about 45 minutes on a 2-core CPU for everything):
    .venv/bin/python scripts/robustness.py
    .venv/bin/python scripts/robustness.py --notebooks 02 05 --variations "seed +3" "1 thread"
    .venv/bin/python scripts/robustness.py --notebooks 07 --variations "as shipped" --seeds 20 --combine
"""

import argparse
import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.benchmark import markdown_table  # noqa: E402
from scripts.notebook_runner import execute_notebook  # noqa: E402

VARIATIONS = {
    "as shipped": {},
    **{f"seed +{k}": {"DLB_SEED_OFFSET": str(k)} for k in range(1, 5)},
    "1 thread": {"OMP_NUM_THREADS": "1"},
    "AVX2 kernels": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "default kernels": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
    "busy machine": {},
}
BUSY = "busy machine"
PROBE_MARK = "@@robustness-probe@@"
FLIPPED = {ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Lt: "<"}


def _comparison(python: str, node: ast.Assert) -> dict | None:
    """Return an `assert a OP b` statement as {message, pairs: [(left, op, right), ...]}, or None."""
    if not isinstance(node.test, ast.Compare):
        return None
    operands = [node.test.left, *node.test.comparators]
    pairs = [(ast.get_source_segment(python, a), FLIPPED[type(op)], ast.get_source_segment(python, b))
             for a, op, b in zip(operands, node.test.ops, operands[1:]) if type(op) in FLIPPED]
    message = ast.get_source_segment(python, node.msg) if node.msg is not None else ""
    return {"message": message, "pairs": pairs} if pairs else None


def comparison_asserts(source: str) -> list[dict]:
    """Return the cell's `assert a OP b` statements, top level or in a top-level `for` loop.

    Each is {message, pairs: [(left, op, right), ...]}; one in a loop also has `loop`: the loop's header
    and the assignments in its body, which the probe re-runs to evaluate it for every iteration (only
    loops whose body holds nothing but assignments and asserts, so re-running them is harmless).
    """
    python = TransformerManager().transform_cell(source)
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return []
    claims = []
    for node in tree.body:
        if isinstance(node, ast.Assert) and (claim := _comparison(python, node)):
            claims.append(claim)
        elif isinstance(node, ast.For) and all(isinstance(s, (ast.Assert, ast.Assign)) for s in node.body):
            loop = {"target": ast.get_source_segment(python, node.target),
                    "iter": ast.get_source_segment(python, node.iter),
                    "setup": [ast.get_source_segment(python, s) for s in node.body if isinstance(s, ast.Assign)]}
            claims += [{**claim, "loop": loop} for s in node.body
                       if isinstance(s, ast.Assert) and (claim := _comparison(python, s))]
    return claims


def probe_source(claims: list[dict]) -> str:
    """Return code that prints every claim's evaluated sides and message as one marked JSON line."""
    lines = [
        "def _robustness_value(_source, kind=float):",
        "    try:",
        "        return kind(eval(_source))",
        "    except Exception:",
        "        return None",
        "def _robustness_record(claim, binding=''):",
        "    _robustness_out.append({",
        "        'message': _robustness_value(claim['message'], str) if claim['message'] else '',",
        "        'binding': binding,",
        "        'pairs': [[_robustness_value(a), op, _robustness_value(b), a, b] for a, op, b in claim['pairs']]})",
        f"_robustness_claims = {json.dumps(claims)}",
        "_robustness_out = []",
    ]
    loops = []
    for index, claim in enumerate(claims):
        if "loop" not in claim:
            lines.append(f"_robustness_record(_robustness_claims[{index}])")
        elif claim["loop"] not in loops:
            loop = claim["loop"]
            loops.append(loop)
            lines.append(f"for {loop['target']} in {loop['iter']}:")
            lines += [textwrap.indent(statement, "    ") for statement in loop["setup"]]
            members = [i for i, c in enumerate(claims) if c.get("loop") == loop]
            lines.append(f"    for _robustness_index in {members}:")
            lines.append(f"        _robustness_record(_robustness_claims[_robustness_index], "
                         f"{loop['target']!r} + ' = ' + repr(({loop['target']}))[:40])")
    lines += [f"print({PROBE_MARK!r} + __import__('json').dumps(_robustness_out))",
              "del _robustness_value, _robustness_record, _robustness_claims, _robustness_out"]
    return "\n".join(lines) + "\n"


def probe_results(cell) -> list[dict]:
    """Return what a probe cell printed."""
    text = "".join(output.get("text", "") for output in cell.outputs if output.get("name") == "stdout")
    for line in text.splitlines():
        if line.startswith(PROBE_MARK):
            return json.loads(line[len(PROBE_MARK):])
    return []


def run_notebook(path: Path, cell_timeout: int) -> dict:
    """Execute a notebook cell by cell; return seconds, the failing cells' messages and the claims' values.

    Through scripts/notebook_runner.py, as the site builder and the benchmark: a stalled kernel gets the
    notebook one more try, in a fresh kernel, and a line says so.
    """
    def run_cells(client, notebook) -> tuple[list, list]:
        failures, claims = [], []
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:   # a failed claim leaves the notebook's state intact:
                failures.append(f"cell {index}: {error.ename}: {error.evalue}".strip())   # probe it all the same
            except Exception as error:       # a timeout or a dead kernel ends this notebook
                failures.append(f"cell {index}: {type(error).__name__}: {error}")
                break
            if asserted := comparison_asserts(cell.source):
                probe = nbformat.v4.new_code_cell(probe_source(asserted))
                with contextlib.suppress(Exception):
                    client.execute_cell(probe, index, store_history=False)
                for claim in probe_results(probe):
                    claims.append({"cell": index, **claim})
        return failures, claims

    execution = execute_notebook(path, cell_timeout, run_cells)
    failures, claims = execution.result
    return {"seconds": execution.seconds, "failures": failures, "claims": claims}


@contextlib.contextmanager
def variation_environment(settings: dict, busy: bool, limit_s: int):
    """Set the variation's environment variables (and start the busy processes) for the kernels started inside."""
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    spinners = []
    if busy:  # one pure-Python spinning process per core, each stopping by itself after limit_s
        spin = f"import time\nend = time.monotonic() + {limit_s}\nwhile time.monotonic() < end: pass"
        spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for process in spinners:
            process.kill()
            process.wait()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def margin(left: float, op: str, right: float) -> float:
    """Return how far a comparison is from failing: positive while it holds."""
    return left - right if op in (">=", ">") else right - left


def worst_claims(results: dict) -> list[list]:
    """Return per claim (notebook, cell, message, comparison): the worst value seen and where."""
    worst = {}
    for (notebook, variation), result in results.items():
        for claim in result["claims"]:
            for left, op, right, left_src, right_src in claim["pairs"]:
                if left is None or right is None:
                    continue
                where = f" (for {claim['binding']})" if claim.get("binding") else ""
                key = (notebook, claim["cell"], f"{left_src} {op} {right_src}{where}")
                entry = (margin(left, op, right), left, right, variation, claim["message"])
                if key not in worst or entry[0] < worst[key][0]:
                    worst[key] = entry
    rows = []
    for (notebook, cell, comparison), (gap, left, right, variation, message) in sorted(worst.items()):
        rows.append([notebook, cell, (message or "")[:90], f"`{comparison}`", f"{left:.4g} vs {right:.4g}",
                     f"{gap:+.3g}", variation])
    return rows


KERNEL_VARIATIONS = ["1 thread", "AVX2 kernels", "default kernels"]


def seed_variations(count: int, combine: bool) -> dict[str, dict]:
    """Return the variations "seed +1" .. "seed +count"; with `combine`, seeds from +5 on also change the kernels."""
    variations = {}
    for k in range(1, count + 1):
        name, settings = f"seed +{k}", {"DLB_SEED_OFFSET": str(k)}
        if combine and k > 4:
            kernels = KERNEL_VARIATIONS[k % len(KERNEL_VARIATIONS)]
            name, settings = f"{name}, {kernels}", {**settings, **VARIATIONS[kernels]}
        variations[name] = settings
    return variations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="*", default=[], help="notebook number prefixes, e.g. 02 05 (default all)")
    parser.add_argument("--variations", nargs="*", default=list(VARIATIONS), choices=list(VARIATIONS), metavar="NAME",
                        help=f"any of: {', '.join(repr(v) for v in VARIATIONS)} (default all)")
    parser.add_argument("--seeds", type=int, default=0, metavar="K",
                        help="also run seed offsets +1 .. +K (on top of --variations; 20 or more for a new threshold)")
    parser.add_argument("--combine", action="store_true",
                        help="with --seeds: run seeds from +5 on with another thread count or CPU kernels too")
    parser.add_argument("--cell-timeout", type=int, default=600, help="seconds one cell may take (as nbval)")
    parser.add_argument("--json", type=Path, help="also write every result to this JSON file")
    args = parser.parse_args(argv)
    # Stopped with kill (SIGTERM), exit through the finally blocks, so that no busy process is left spinning.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    notebooks = [p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
                 if not args.notebooks or p.name[:2] in args.notebooks]
    if not notebooks:
        parser.error(f"no notebook in notebooks/ starts with {' or '.join(args.notebooks)}")
    variations = {name: VARIATIONS[name] for name in args.variations}
    variations.update(seed_variations(args.seeds, args.combine))
    args.variations = list(variations)
    results = {}
    for variation in args.variations:
        with variation_environment(variations[variation], variation == BUSY, limit_s=len(notebooks) * 900):
            for path in notebooks:
                result = run_notebook(path, args.cell_timeout)
                results[(path.stem, variation)] = result
                verdict = "passed" if not result["failures"] else "FAILED: " + " | ".join(result["failures"])
                print(f"{variation:>15} | {path.stem}: {result['seconds']:.0f} s, {verdict}", flush=True)
                if args.json:  # after every notebook, so that a long run can be read while it goes on
                    args.json.write_text(json.dumps({f"{n} | {v}": r for (n, v), r in results.items()}, indent=1))
    rows = []
    for path in notebooks:
        cells = []
        for variation in args.variations:
            result = results[(path.stem, variation)]
            cells.append(f"✅ {result['seconds']:.0f} s" if not result["failures"]
                         else "❌ " + "; ".join(result["failures"])[:300])
        rows.append([path.stem, *cells])
    print("\n" + markdown_table(["notebook", *args.variations], rows))
    print("\nEvery comparison a lesson asserts, at its worst across these variations (margin > 0: it held):\n")
    print(markdown_table(["notebook", "cell", "claim", "assert", "worst: left vs right", "margin", "where"],
                         worst_claims(results)))
    return 0 if all(not r["failures"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
