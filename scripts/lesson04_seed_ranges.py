"""Lesson 04's numbers at several seed offsets: execute the notebook as nbval does, then read its variables.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/lesson04_seed_ranges.py run 0 1 2 3 4 5   # one JSON per offset in OUT
    .venv/bin/python scripts/lesson04_seed_ranges.py table                              # the markdown table from them

The table goes into benchmarks/results/lesson04-seed-ranges.md, which the notebook cites for the ranges its prose
quotes (a run of one seed cannot say how far its numbers move with the random draws).
"""
import json
import os
import statistics
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent       # the course folder (this file lives in scripts/)
sys.path.insert(0, str(ROOT / "scripts"))
from notebook_runner import execute_with_probe  # noqa: E402

NOTEBOOK = Path(os.environ.get("LESSON04_NOTEBOOK", ROOT / "notebooks" / "04_overfitting.ipynb"))
OUT = Path(os.environ.get("LESSON04_OUT", "lesson04-seeds"))

DUMP = r'''
import json
_rows = {name: {key: value for key, value in row.items() if key != "model"} for name, row in results.items()}
print(json.dumps({"results": _rows, "curve": {str(k): v for k, v in curve.items()}, "turn": turn,
                  "acc_at_turn": acc_at_turn, "acc_at_end": acc_at_end, "sure_at_turn": sure_at_turn,
                  "sure_at_end": sure_at_end, "val_at_turn": val_at_turn, "val_at_end": val_at_end,
                  "best_decay": best_decay, "best_p": best_p, "few_gap": few["gap"], "many_gap": many["gap"]}))
'''


def run(offset: int) -> dict:
    """Execute the notebook with DLB_SEED_OFFSET=offset; save and return its numbers and any failed cells."""
    _, values, wall, failed = execute_with_probe(NOTEBOOK, DUMP, offset, cwd=ROOT / "notebooks")
    values.update({"offset": offset, "wall_s": wall, "errors": failed})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"offset{offset}.json").write_text(json.dumps(values, indent=1))
    return values


def points(x: float) -> str:
    return f"{100 * x:+.1f}"


def table() -> str:
    """Return markdown: per quantity its range (min to max) and median over all offsets, then the numbers per offset."""
    runs = sorted((json.loads(p.read_text()) for p in OUT.glob("offset*.json")), key=lambda r: r["offset"])

    def res(name, key):
        return lambda r: r["results"][name][key]

    def gain(name):
        return lambda r: r["results"][name]["val_acc"] - r["results"]["baseline"]["val_acc"]

    def loss_cut(name):
        return lambda r: 1 - r["results"][name]["val_loss"] / r["results"]["baseline"]["val_loss"]

    def chosen(key):
        return lambda r: r["results"][r[key]]

    pct = ("{:.1f}", 100)
    rows = [
        ("§2 baseline: training accuracy (%)", res("baseline", "train_acc"), pct),
        ("§2 baseline: validation accuracy (%)", res("baseline", "val_acc"), pct),
        ("§2 epoch of the lowest validation loss", lambda r: r["turn"], ("{:.0f}", 1)),
        ("§2 validation accuracy, end minus turn (points)", lambda r: r["acc_at_end"] - r["acc_at_turn"], ("{:+.1f}", 100)),
        ("§2 validation loss, end / turn", lambda r: r["val_at_end"] / r["val_at_turn"], ("{:.2f}", 1)),
        ("§2 sure when wrong at the turn (%)", lambda r: r["sure_at_turn"], ("{:.0f}", 100)),
        ("§2 sure when wrong at the end (%)", lambda r: r["sure_at_end"], ("{:.0f}", 100)),
        ("§3 validation accuracy, 1,000 images (%)", lambda r: r["curve"]["1000"]["val_acc"], pct),
        ("§3 validation accuracy, 4,000 images (%)", lambda r: r["curve"]["4000"]["val_acc"], pct),
        ("§3 training accuracy, 4,000 images (%)", lambda r: r["curve"]["4000"]["train_acc"], pct),
        ("§3 more data's gain (points)", gain("more data (4,000 images)"), ("{:+.1f}", 100)),
        ("§3 gap shrinks by (points)", lambda r: r["results"]["baseline"]["gap"] - r["results"]["more data (4,000 images)"]["gap"], ("{:.1f}", 100)),
        ("§4 early stopping: updates used", res("early stopping", "updates"), ("{:.0f}", 1)),
        ("§4 early stopping's gain (points)", gain("early stopping"), ("{:+.1f}", 100)),
        ("§4 early stopping: validation loss lower by (%)", loss_cut("early stopping"), ("{:.0f}", 100)),
        ("§4 early stopping: less sure when wrong by (points)", lambda r: r["results"]["baseline"]["sure_when_wrong"] - r["results"]["early stopping"]["sure_when_wrong"], ("{:.0f}", 100)),
        ("§5 weight decay (λ) chosen on validation loss", lambda r: r["best_decay"], None),
        ("§5 chosen weight decay's gain (points)", lambda r: chosen("best_decay")(r)["val_acc"] - r["results"]["baseline"]["val_acc"], ("{:+.1f}", 100)),
        ("§5 chosen weight decay: validation loss lower by (%)", lambda r: 1 - chosen("best_decay")(r)["val_loss"] / r["results"]["baseline"]["val_loss"], ("{:.0f}", 100)),
        ("§5 chosen weight decay: less sure when wrong by (points)", lambda r: r["results"]["baseline"]["sure_when_wrong"] - chosen("best_decay")(r)["sure_when_wrong"], ("{:.0f}", 100)),
        ("§5 λ = 100: training accuracy (%)", res("weight decay (100)", "train_acc"), pct),
        ("§5 λ = 100: gap (points)", res("weight decay (100)", "gap"), ("{:.1f}", 100)),
        ("§6 dropout rate chosen on validation loss", lambda r: r["best_p"], None),
        ("§6 chosen dropout's gain (points)", lambda r: chosen("best_p")(r)["val_acc"] - r["results"]["baseline"]["val_acc"], ("{:+.1f}", 100)),
        ("§6 chosen dropout: validation loss lower by (%)", lambda r: 1 - chosen("best_p")(r)["val_loss"] / r["results"]["baseline"]["val_loss"], ("{:.0f}", 100)),
        ("§6 top rate (0.9): validation loss / the chosen rate's", lambda r: r["results"]["dropout (0.9)"]["val_loss"] / chosen("best_p")(r)["val_loss"], ("{:.2f}", 1)),
        ("§6 top rate (0.9): training accuracy (%)", res("dropout (0.9)", "train_acc"), pct),
        ("§6 top rate (0.9): gain (points)", gain("dropout (0.9)"), ("{:+.1f}", 100)),
        ("§6 largest gain of any rate (points)", lambda r: max(row["val_acc"] for name, row in r["results"].items() if name.startswith("dropout")) - r["results"]["baseline"]["val_acc"], ("{:+.1f}", 100)),
        ("§7 test: more data minus best 250-image run (points)", lambda r: r["results"]["more data (4,000 images)"]["test_acc"] - max(row["test_acc"] for name, row in r["results"].items() if not name.startswith("more data")), ("{:+.1f}", 100)),
        ("§9 explorer: gap at 100 minus gap at 4,000 images (points)", lambda r: r["few_gap"] - r["many_gap"], ("{:.1f}", 100)),
        ("wall time of the whole notebook (s, busy machine, 1 thread)", lambda r: r["wall_s"], ("{:.0f}", 1)),
    ]
    summary = ["| quantity | range over all offsets | median |", "| --- | --- | --- |"]
    columns = {}                                  # quantity -> one formatted cell per run
    for name, get, fmt in rows:
        values = [get(r) for r in runs]
        if fmt is None:
            cells, span = [str(v) for v in values], ", ".join(sorted(set(map(str, values))))
            middle = max(set(cells), key=cells.count)
        else:
            form, scale = fmt
            cells = [form.format(scale * v) for v in values]
            span = f"{form.format(scale * min(values))} to {form.format(scale * max(values))}"
            middle = form.format(scale * statistics.median(values))
        columns[name] = cells
        summary.append(f"| {name} | {span} | {middle} |")
    lines = summary
    for start in range(0, len(runs), 10):           # the per-offset numbers, ten offsets to a table
        chunk = runs[start:start + 10]
        lines += ["", "| quantity | " + " | ".join(f"offset {r['offset']}" for r in chunk) + " |",
                  "|" + " --- |" * (len(chunk) + 1)]
        lines += [f"| {name} | " + " | ".join(cells[start:start + 10]) + " |" for name, cells in columns.items()]
    errors = {r["offset"]: r["errors"] for r in runs if r["errors"]}
    return "\n".join(lines) + ("\n\nFailed cells: " + json.dumps(errors) if errors else "\n\nEvery cell passed at every offset.")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        for k in sys.argv[2:]:
            v = run(int(k))
            print(k, round(v["wall_s"]), v["errors"], flush=True)
    else:
        print(table())
