"""The thread policy: DLB_THREADS wins, a JupyterHub server gets one thread, anywhere else torch's default."""

import pytest
import torch

from utils import threads


def test_explicit_number_wins_everywhere():
    assert threads.choose_threads({"DLB_THREADS": "3"}, cpu_count=2) == 3
    assert threads.choose_threads({"DLB_THREADS": " 2 ", "JUPYTERHUB_USER": "ada"}, cpu_count=8) == 2


def test_jupyterhub_server_gets_one_thread():
    assert threads.choose_threads({"JUPYTERHUB_USER": "ada"}, cpu_count=64) == 1


def test_elsewhere_torch_default_capped_by_cores():
    assert threads.choose_threads({}, cpu_count=1024) == torch.get_num_threads()
    assert threads.choose_threads({"JUPYTERHUB_USER": "", "DLB_THREADS": ""}, cpu_count=1024) == torch.get_num_threads()
    assert threads.choose_threads({}, cpu_count=1) == 1
    assert threads.choose_threads({}, cpu_count=None) == torch.get_num_threads()


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", "2 threads"])
def test_bad_value_says_what_it_must_be(value):
    with pytest.raises(ValueError, match=r"DLB_THREADS must be a whole number of threads, at least 1") as error:
        threads.choose_threads({"DLB_THREADS": value}, cpu_count=2)
    assert repr(value) in str(error.value)


def test_apply_sets_torch_threads_and_returns_them(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("DLB_THREADS", "1")
        assert threads.apply_thread_policy() == 1 and torch.get_num_threads() == 1
        monkeypatch.delenv("DLB_THREADS")
        monkeypatch.setenv("JUPYTERHUB_USER", "ada")
        assert threads.apply_thread_policy() == 1
    finally:
        torch.set_num_threads(before)
