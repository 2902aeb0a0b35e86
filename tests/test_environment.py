"""The setup check: each unmet need of the lessons is named in one sentence, with the step that fixes it."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import utils
from utils import environment
from utils.environment import SetupError, check_environment, data_problem, problems

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"torch": "2.14.1+cu130", "torchvision": "0.29.2", "numpy": "2.4.6", "matplotlib": "3.11.2",
        "ipywidgets": "8.1.9", "tqdm": "4.70.1"}


def test_this_environment_meets_every_need():
    assert problems() == []
    assert problems(versions=GOOD) == []


def test_colab_stack_meets_every_need():
    colab = {**GOOD, "torch": "2.11.0", "torchvision": "0.26.0", "numpy": "2.0.2", "matplotlib": "3.10.0",
             "ipywidgets": "7.7.1", "tqdm": "4.67.1"}
    assert problems(versions=colab) == []


def test_old_python_is_named_with_the_fix():
    with pytest.raises(SetupError, match=r"needs Python 3\.10 or newer.*Python 3\.9\.18.*new environment"):
        check_environment(python=(3, 9, 18), versions=GOOD)


@pytest.mark.parametrize("name", list(environment.MINIMUM))
def test_missing_package_is_named_with_the_fix(name):
    with pytest.raises(SetupError, match=rf"^{name} is not installed\. To fix it: run `pip install -r requirements.txt`"):
        check_environment(versions={**GOOD, name: None})


def test_old_torch_and_torchvision_are_named():
    old = {**GOOD, "torch": "2.4.1", "torchvision": "0.19.1"}
    with pytest.raises(SetupError) as error:
        check_environment(versions=old)
    message = str(error.value)
    assert "torch 2.4.1 is too old: the lessons need torch 2.11 or newer." in message
    assert "torchvision 0.19.1 is too old" in message
    assert message.endswith("then restart the kernel.")


def test_mismatched_torch_and_torchvision_are_named():
    with pytest.raises(SetupError, match=r"torch 2\.14\.1\+cu130 and torchvision 0\.26\.0 are not a matching pair "
                                         r"\(torch 2\.14 goes with torchvision 0\.29\)"):
        check_environment(versions={**GOOD, "torchvision": "0.26.0"})


def test_unknown_version_of_an_importable_package_is_not_an_error():
    assert problems(versions={**GOOD, "tqdm": ""}) == []


def test_colab_gets_the_colab_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", object())
    with pytest.raises(SetupError, match="Runtime → Disconnect and delete runtime"):
        check_environment(versions={**GOOD, "ipywidgets": None})


def test_import_utils_names_a_too_old_torchvision(tmp_path):
    """End to end: a kernel whose torchvision is 0.20 stops at `import utils` with the sentence, not deep inside."""
    info = tmp_path / "torchvision-0.20.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: torchvision\nVersion: 0.20.0\n")
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); sys.path.insert(1, {str(ROOT)!r}); import utils"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("utils.environment.SetupError: torchvision 0.20.0 is too old"), last_line
    assert "pip install -r requirements.txt" in last_line


def test_missing_data_folder(tmp_path):
    assert "is missing or incomplete (no SHA256SUMS)" in data_problem(tmp_path / "data", tmp_path / "cache")


def test_missing_data_files(tmp_path):
    (tmp_path / "SHA256SUMS").write_text("abc  MNIST/raw/train-images-idx3-ubyte.gz\n")
    message = data_problem(tmp_path, tmp_path / "cache")
    assert message.startswith("1 of the course's data files are missing") and "git checkout -- data" in message


def test_nowhere_to_unpack(tmp_path, monkeypatch):
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    (tmp_path / "SHA256SUMS").write_text("abc  MNIST/raw/t10k-labels-idx1-ubyte.gz\n")
    assert data_problem(tmp_path, tmp_path / "cache") == ""
    monkeypatch.setattr(environment, "_can_write", lambda folder: False)
    assert "set DLB_DATA_CACHE to a folder you can write to" in data_problem(tmp_path, tmp_path / "cache")
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").write_bytes(b"")   # unpacked already: nothing to write
    assert data_problem(tmp_path, tmp_path / "cache") == ""


def test_the_shipped_data_has_no_problem():
    assert data_problem(utils.DATA_DIR, utils.CACHE_DIR) == ""


def test_setup_stops_on_missing_data(monkeypatch, tmp_path):
    monkeypatch.setattr(utils, "DATA_DIR", tmp_path)
    with pytest.raises(utils.DataFileError, match="no SHA256SUMS"):
        utils.setup_notebook()


def test_a_gpu_that_cannot_run_falls_back_to_the_cpu(monkeypatch, capsys):
    if torch.cuda.is_available():
        pytest.skip("a working GPU is present")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert utils.get_device() == torch.device("cpu")
    printed = capsys.readouterr().out
    assert printed.startswith("A CUDA GPU was found but cannot run (") and "The lessons will run on the CPU." in printed


def test_dlb_device_cpu_forces_the_cpu_and_other_values_are_explained(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)      # even where a GPU would be picked
    monkeypatch.setenv("DLB_DEVICE", "CPU")
    assert utils.get_device() == torch.device("cpu")
    monkeypatch.setenv("DLB_DEVICE", "gpu")
    with pytest.raises(ValueError, match="DLB_DEVICE can only be 'cpu'"):
        utils.get_device()
