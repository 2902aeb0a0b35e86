"""Lesson 06's numbers at several seed offsets: execute the notebook as nbval does, then read its variables.

    OMP_NUM_THREADS=1 .venv/bin/python lesson06_seed_ranges.py run 0 1 2 3 4 5   # one JSON per offset in OUT
    .venv/bin/python lesson06_seed_ranges.py table                              # the markdown table from them
"""
import json
import os
import sys
from datetime import datetime
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent       # the course folder (this file lives in scripts/)
sys.path.insert(0, str(ROOT / "scripts"))
from notebook_runner import execute_with_probe  # noqa: E402

NOTEBOOK = Path(os.environ.get("LESSON06_NOTEBOOK", ROOT / "notebooks" / "06_data_augmentation.ipynb"))
OUT = Path(os.environ.get("LESSON06_OUT", "lesson06-seeds"))

DUMP = r'''
import json, resource
_usage = resource.getrusage(resource.RUSAGE_SELF)
_names = ["gain", "plain_gap", "augmented_gap", "last_plain", "last_augmented", "swapped", "kept", "digit_cost",
          "table", "val_scores", "chosen", "shift_gain", "flip_gain", "gaps", "centred_price", "flip_cost",
          "plain_acc", "shifted_model_acc", "plain_drop", "cured_drop", "centred_cost", "speedup",
          "facing_left", "other_left"]
_values = {name: globals()[name] for name in _names if name in globals()}
for _name in ("plain", "augmented"):
    for _key in ("train", "val"):
        if _name in globals():
            _values[f"{_name}_{_key}"] = globals()[_name][_key]
_values["aug_gain"] = _values.get("gain")
_values["kernel_cpu_s"] = _usage.ru_utime + _usage.ru_stime
print(json.dumps(_values))
'''


def run(offset: int) -> dict:
    nb, values, wall, failed = execute_with_probe(NOTEBOOK, DUMP, offset, cwd=ROOT / "notebooks")
    cells = []
    for index, cell in enumerate(nb.cells[:-1]):
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in timing:
            begin = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            cells.append((index, round((end - begin).total_seconds(), 2)))
    values.update({"offset": offset, "wall_s": wall, "cell_s": cells, "errors": failed})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"offset{offset}.json").write_text(json.dumps(values, indent=1))
    return values


def pct(x):
    return f"{100 * x:.1f}"


def table() -> str:
    rows = [json.loads(p.read_text()) for p in sorted(OUT.glob("offset*.json"))]
    rows.sort(key=lambda r: r["offset"])
    cols = [
        ("§3 validation, no augmentation (%)", lambda r: pct(r["plain_val"])),
        ("§3 validation, augmented (%)", lambda r: pct(r["augmented_val"])),
        ("§3 augmentation's gain (points)", lambda r: pct(r["aug_gain"])),
        ("§3 train/validation gap, none → augmented (points)", lambda r: f"{pct(r['plain_gap'])} → {pct(r['augmented_gap'])}"),
        ("§4 turned 6s and 9s read as the other digit (%)", lambda r: f"{100 * r['swapped']:.0f}"),
        ("§4 turned 6s and 9s that kept their label (%)", lambda r: f"{100 * r['kept']:.0f}"),
        ("§4 flips' cost on digits (points)", lambda r: pct(r["digit_cost"])),
        ("§6 validation score, none (%)", lambda r: pct(r["val_scores"]["none"])),
        ("§6 validation score, shifts 2 px (%)", lambda r: pct(r["val_scores"]["shifts 2 px"])),
        ("§6 validation score, shifts 3 px (%)", lambda r: pct(r["val_scores"]["shifts 3 px"])),
        ("§6 validation score, shifts 4 px (%)", lambda r: pct(r["val_scores"]["shifts 4 px"])),
        ("§6 shifts 4 px minus 3 px (points)", lambda r: f"{100 * (r['val_scores']['shifts 4 px'] - r['val_scores']['shifts 3 px']):+.1f}"),
        ("§6 chosen", lambda r: r["chosen"]),
        ("§6 flips on top of 3 px (points)", lambda r: f"{100 * r['flip_gain']:+.1f}"),
        ("§6 centred validation: none ahead by (points)", lambda r: pct(r["centred_price"])),
        ("§6 train − centred val gap, none → 3 px (points)", lambda r: f"{pct(r['gaps']['none'])} → {pct(r['gaps']['shifts 3 px'])}"),
        ("§6 flips' cost: shoes / other classes (points)", lambda r: f"{100 * r['flip_cost']['shoes (3 classes)']:+.1f} / {100 * r['flip_cost']['other 7 classes']:+.1f}"),
        ("§6 test: lost at 4 px, none / 3 px (points)", lambda r: f"{pct(r['plain_drop'])} / {pct(r['cured_drop'])}"),
        ("§6 test: ahead at 4 px (points)", lambda r: pct(r["shifted_model_acc"][4] - r["plain_acc"][4])),
        ("§6 test: centred cost of shifts (points)", lambda r: pct(r["centred_cost"])),
        ("appendix B: batched speed-up (x, busy machine)", lambda r: f"{r['speedup']:.0f}"),
        ("wall time of the whole notebook (s, busy machine, 1 thread)", lambda r: f"{r['wall_s']:.0f}"),
        ("kernel CPU time (s)", lambda r: f"{r['kernel_cpu_s']:.0f}"),
    ]
    head = "| quantity | " + " | ".join(f"offset {r['offset']}" for r in rows) + " |"
    lines = [head, "|" + " --- |" * (len(rows) + 1)]
    for name, get in cols:
        lines.append(f"| {name} | " + " | ".join(get(r) for r in rows) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "run":
        for k in sys.argv[2:]:
            v = run(int(k))
            print(k, round(v["wall_s"]), v.get("chosen"), v["errors"], flush=True)
    else:
        print(table())
