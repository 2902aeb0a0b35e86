"""How many threads torch uses in this kernel: all the cores on your own machine, one on a shared server.

torch's CPU operations run on a pool of threads, by default one per physical core, and those threads
spin while they wait for each other. That is fastest when one program has the machine to itself. On a
JupyterHub, though, every student's kernel runs on the same cores: with more threads than free cores
the spinning threads wait on each other and everything slows down, far more than the sharing itself
explains (here, 2 cores: lesson 05 took 842 s instead of 90 s next to two other busy processes).
So a kernel on a hub uses one thread, and a class of N students keeps min(N, cores) cores busy.

The environment variable DLB_THREADS (a whole number, say 2) overrides the choice, e.g. for a hub
that gives every student their own cores. See docs/hub.md for the measurements.
"""

import os
from collections.abc import Mapping

import torch

THREADS_VARIABLE = "DLB_THREADS"
HUB_USER_VARIABLE = "JUPYTERHUB_USER"  # set by JupyterHub in every single-user server it spawns
HUB_THREADS = 1


def explicit_threads(environ: Mapping[str, str]) -> int | None:
    """Return the whole number in DLB_THREADS (None when unset), explaining a value that is not one."""
    text = environ.get(THREADS_VARIABLE, "").strip()
    if not text:
        return None
    try:
        threads = int(text)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"{THREADS_VARIABLE} must be a whole number of threads, at least 1 (such as 1 or 4), "
                         f"or unset; got {text!r}.")
    return threads


def choose_threads(environ: Mapping[str, str] = os.environ, cpu_count: int | None = os.cpu_count()) -> int:
    """Return how many intra-op threads torch should use: DLB_THREADS, else 1 on a JupyterHub, else torch's default."""
    if (threads := explicit_threads(environ)) is not None:
        return threads
    if environ.get(HUB_USER_VARIABLE):
        return HUB_THREADS
    # torch's default is one thread per physical core (or OMP_NUM_THREADS); never more than the cores there are
    return max(1, min(torch.get_num_threads(), cpu_count or torch.get_num_threads()))


def apply_thread_policy() -> int:
    """Set torch's intra-op thread count to choose_threads() and return it."""
    threads = choose_threads(os.environ, os.cpu_count())
    torch.set_num_threads(threads)
    return threads
