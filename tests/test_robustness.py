"""The robustness script's claim probe: which asserts it finds, and what it reports for them."""

import json

from scripts import robustness

CELL = '''
gap = {"a": 0.05, "b": 0.02}
assert gap["a"] >= 0.03, f"a should gain 3+ points, got {gap['a']}"
for name in ["a", "b"]:
    value = gap[name]
    assert value > 0.01, f"{name} should gain 1+ point"
for name in gap:
    print(name)
    assert gap[name] < 1
'''


def probe(cell: str) -> list[dict]:
    """Run the cell and then its probe in one namespace; return what the probe reported."""
    namespace = {}
    exec(cell, namespace)
    printed = []
    namespace["print"] = printed.append
    exec(robustness.probe_source(robustness.comparison_asserts(cell)), namespace)
    return json.loads(printed[0][len(robustness.PROBE_MARK):])


def test_finds_top_level_asserts_and_those_in_loops_without_side_effects():
    claims = robustness.comparison_asserts(CELL)
    assert [c["pairs"][0][0] for c in claims] == ['gap["a"]', "value"]      # the loop with a print is left out
    assert claims[1]["loop"] == {"target": "name", "iter": '["a", "b"]', "setup": ["value = gap[name]"]}


def test_probe_reports_every_iteration_with_its_binding():
    results = probe(CELL)
    assert results[0] == {"message": "a should gain 3+ points, got 0.05", "binding": "",
                          "pairs": [[0.05, ">=", 0.03, 'gap["a"]', "0.03"]]}
    assert [(r["binding"], r["message"], r["pairs"][0][0]) for r in results[1:]] == [
        ("name = 'a'", "a should gain 1+ point", 0.05), ("name = 'b'", "b should gain 1+ point", 0.02)]


def test_worst_claims_keeps_each_iteration_apart():
    results = {("nb", "as shipped"): {"claims": [{"cell": 3, **claim} for claim in probe(CELL)]}}
    rows = robustness.worst_claims(results)
    assert [row[3] for row in rows] == ['`gap["a"] >= 0.03`', "`value > 0.01 (for name = 'a')`",
                                        "`value > 0.01 (for name = 'b')`"]


def test_seed_variations_count_and_combine():
    plain = robustness.seed_variations(20, combine=False)
    assert list(plain)[:2] == ["seed +1", "seed +2"] and len(plain) == 20
    assert all(settings == {"DLB_SEED_OFFSET": name.split("+")[1]} for name, settings in plain.items())
    combined = robustness.seed_variations(20, combine=True)
    assert len(combined) == 20 and "seed +4" in combined
    extra = [name for name in combined if "," in name]
    assert len(extra) == 16 and {name.split(", ")[1] for name in extra} == set(robustness.KERNEL_VARIATIONS)
    assert combined["seed +8, default kernels"]["ATEN_CPU_CAPABILITY"] == "default"
