"""docs/z2jh-values.yaml: it parses, uses only keys the zero-to-jupyterhub chart documents, and follows the
measurements in docs/hub.md. No cluster needed: these are checks of the file alone.

PyYAML comes with the course's environment (jupyterlab -> jupyter_server -> jupyter_events -> pyyaml).
"""

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
VALUES = ROOT / "docs" / "z2jh-values.yaml"
GUIDE = ROOT / "docs" / "hub.md"

NUMBER = (int, float)
# The key paths the values file uses, each with the type the chart's schema gives it: only those this file
# uses, not the chart's whole schema. Source: jupyterhub/values.schema.yaml of
# github.com/jupyterhub/zero-to-jupyterhub-k8s at commit 02dd73df01bdbb6d602fed21b0be12565ab38080 (a 3.x
# schema; the 4.x changelog up to 4.4.0 removes none of these keys, and the 4.x documentation pages
# docs/source/jupyterhub/customizing/user-resources.md at 1d196a90c13b1926895e9259e1644c8f075954ab and
# docs/source/administrator/optimization.md at 2d8da1ca5de84dd583bac03bd64023f0778c6546 use the
# singleuser.memory/cpu, cull, scheduling and prePuller keys as here).
# "*" stands for one key the user chooses (the schema's patternProperties ".*").
DOCUMENTED = {
    "singleuser": dict,
    "singleuser.image": dict,
    "singleuser.image.name": str,
    "singleuser.image.tag": str,
    "singleuser.defaultUrl": str,
    "singleuser.memory": dict,
    "singleuser.memory.guarantee": (str, *NUMBER),
    "singleuser.memory.limit": (str, *NUMBER),
    "singleuser.cpu": dict,
    "singleuser.cpu.guarantee": NUMBER,
    "singleuser.cpu.limit": NUMBER,
    "singleuser.storage": dict,
    "singleuser.storage.capacity": str,
    "singleuser.extraFiles": dict,
    "singleuser.extraFiles.*": dict,
    "singleuser.extraFiles.*.mountPath": str,
    "singleuser.extraFiles.*.data": dict,  # additionalProperties: true (the file's own content)
    "cull": dict,
    "cull.enabled": bool,
    "cull.timeout": int,
    "cull.every": int,
    "scheduling": dict,
    "scheduling.userScheduler": dict,
    "scheduling.userScheduler.enabled": bool,
    "scheduling.podPriority": dict,
    "scheduling.podPriority.enabled": bool,
    "scheduling.userPlaceholder": dict,
    "scheduling.userPlaceholder.enabled": bool,
    "scheduling.userPlaceholder.replicas": int,
    "prePuller": dict,
    "prePuller.hook": dict,
    "prePuller.hook.enabled": bool,
    "prePuller.continuous": dict,
    "prePuller.continuous.enabled": bool,
}
FREE_FORM = {"singleuser.extraFiles.*.data"}  # the schema lets anything sit below these

SERVER_MB = 151  # a student's Jupyter server, docs/hub.md section 5 (scripts/class_hub.py --students 2)
BYTE_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}  # JupyterHub's ByteSpecification


def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def walk(node, prefix=""):
    """Yield (documented pattern, key path, value) for every key path in the values, not below free-form keys."""
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        matches = [pattern for pattern in DOCUMENTED if pattern.count(".") == path.count(".")
                   and fnmatchcase(path, pattern)]
        assert matches, f"{path} is not a key the chart documents (see DOCUMENTED in {__file__})"
        pattern = min(matches, key=lambda p: p.count("*"))  # an exact key before a wildcard
        yield pattern, path, value
        if isinstance(value, dict) and pattern not in FREE_FORM:
            yield from walk(value, path)


def megabytes(quantity) -> float:
    """A memory quantity as KubeSpawner reads it (a number of bytes, or a number with K, M, G or T) in MB."""
    if isinstance(quantity, NUMBER):
        return quantity / 1e6
    return float(quantity[:-1]) * BYTE_UNITS[quantity[-1]] / 1e6


def lesson_measurements() -> dict:
    """docs/hub.md's per-lesson table: {lesson: (peak RSS MB, peak private MB, CPU seconds)}."""
    rows = re.findall(r"^\| (\d\d) [^|]+\| [\d.]+ s \| ([\d,]+) MB \| ([\d,]+) MB \| ([\d.]+) s \|$",
                      GUIDE.read_text(), flags=re.MULTILINE)
    return {lesson: (int(rss.replace(",", "")), int(private.replace(",", "")), float(cpu))
            for lesson, rss, private, cpu in rows}


def test_values_parse_and_use_only_documented_keys():
    used = set()
    for pattern, path, value in walk(values()):
        expected = DOCUMENTED[pattern]
        assert isinstance(value, expected) and (expected is bool or not isinstance(value, bool)), \
            f"{path}: {value!r} is not of the type the chart documents"
        used.add(pattern)
    assert used == set(DOCUMENTED), f"listed but not used, drop them from DOCUMENTED: {set(DOCUMENTED) - used}"


def test_image_is_pinned():
    tag = values()["singleuser"]["image"]["tag"]
    assert tag != "latest" and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", tag), \
        f"singleuser.image.tag must be a fixed image tag (the commit the image was built from), not {tag!r}"


def test_memory_and_cpu_follow_the_measurements():
    lessons = lesson_measurements()
    assert sorted(lessons) == [f"{n:02d}" for n in range(1, 9)], "docs/hub.md's per-lesson table changed shape"
    memory, cpu = values()["singleuser"]["memory"], values()["singleuser"]["cpu"]
    heaviest_private = max(private for _, private, _ in lessons.values())
    heaviest_rss = max(rss for rss, _, _ in lessons.values())
    # Guarantee: the heaviest lesson's own memory and the server (the shared libraries are paid once a node).
    assert megabytes(memory["guarantee"]) >= heaviest_private + SERVER_MB, \
        f"memory.guarantee {memory['guarantee']} is below {heaviest_private} + {SERVER_MB} MB (docs/hub.md, 8.2)"
    # Limit: that lesson with the shared libraries, one more lesson's kernel left running, and the server.
    assert megabytes(memory["limit"]) >= heaviest_rss + heaviest_private + SERVER_MB, \
        f"memory.limit {memory['limit']} is below {heaviest_rss} + {heaviest_private} + {SERVER_MB} MB (8.2)"
    # One torch thread per kernel: a whole core for it, and a guarantee no larger than the limit.
    assert cpu["limit"] >= 1 and 0 < cpu["guarantee"] <= cpu["limit"]
    # The chart's default guarantee (1G) is too small for the heaviest lessons, as docs/hub.md says.
    assert megabytes("1G") < heaviest_private + SERVER_MB


def test_values_and_guide_agree():
    guide = GUIDE.read_text()
    singleuser = values()["singleuser"]
    assert "docs/z2jh-values.yaml" in guide
    for setting in (singleuser["memory"]["guarantee"], singleuser["memory"]["limit"]):
        assert f"`{setting}`" in guide, f"docs/hub.md section 8 should name {setting} and say where it comes from"


def uses_dataloader_workers() -> list[str]:
    """Code (lessons' code cells, utils/) that starts DataLoader worker processes: num_workers other than 0."""
    found = []
    sources = [(path.name, "".join(cell["source"])) for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
               for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]
    sources += [(path.name, path.read_text()) for path in sorted((ROOT / "utils").glob("*.py"))]
    for name, source in sources:
        found += [f"{name}: {m.group(0)}" for m in re.finditer(r"num_workers\s*=\s*(?!0\b)\w+", source)]
    return found


def test_shared_memory_volume_only_if_dataloader_workers_are_used():
    storage = values()["singleuser"].get("storage", {})
    shm = [mount for mount in storage.get("extraVolumeMounts", []) if mount.get("mountPath") == "/dev/shm"]
    workers = uses_dataloader_workers()
    assert bool(workers) == bool(shm), (
        f"DataLoader workers use /dev/shm (64 MB in a pod by default): {workers}; mount a memory-backed "
        "emptyDir there (singleuser.storage.extraVolumes and extraVolumeMounts) and count it in the memory "
        "limit" if workers else "a /dev/shm volume only costs memory when no lesson uses DataLoader workers")
