"""Execute a notebook through nbclient the way the course's tools do, and never wait on a stalled kernel.

scripts/build_site.py, scripts/robustness.py and benchmarks/benchmark.py all execute lessons with
`execute_notebook` below: kernel "python3" in this environment (jupyter_client starts it with
sys.executable), cwd = the notebook's folder, as nbval does in the tests.

Why a watch is needed. nbclient waits for each cell's reply with zmq.asyncio: an asyncio reader on the
socket's ZMQ_FD, a file descriptor that libzmq signals on an edge only. Now and then the kernel has
finished, its reply sits in the client's shell socket (ZMQ_EVENTS says POLLIN), yet the descriptor is
silent: the event loop never wakes, and the wait ends only when nbclient's poll times out (the cell
timeout, 600 s in robustness.py and the benchmark) and finds the reply after all, so the notebook then
passes as if nothing happened. Seen here 1 run in 30 of the lesson 03 explorer (two processes at once on
a busy 2-core machine), with the kernel idle, exactly as in the tools' hangs. Upstream:
jupyter/nbclient#312 and its PR #311 (get_msg returns the reply only after the timeout),
jupyter/nbconvert#2003 and #2029 (execution of ipywidgets cells hangs), zeromq/pyzmq#2173 (zmq.asyncio
receivers missing wakeups once ZMQ_EVENTS was read elsewhere). Explorer cells make it likelier: many comm
and display messages arrive on iopub while the reply arrives on shell.

What this module does about it, while a cell executes:

* every `check_seconds` it reads ZMQ_EVENTS through pyzmq's asyncio socket (`socket.get(zmq.EVENTS)`),
  which hands a waiting message to the coroutine waiting for it: a lost wakeup costs seconds, not 600 s;
* if nonetheless the kernel process (with its children) has used no CPU and no message has arrived for
  `stall_seconds`, the cell is stalled: the kernel is interrupted and shut down, and the whole notebook
  is executed once more in a fresh kernel, with a line saying so. A kernel that dies while starting
  (two kernels started at the same moment can draw the same port: "Address already in use") gets the
  same one retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbclient
import nbformat
from jupyter_core.utils import ensure_async
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

try:  # ipykernel depends on psutil, so it is installed wherever a kernel runs; /proc is the fallback
    import psutil
except ImportError:  # pragma: no cover
    psutil = None

STALL_SECONDS = 60.0   # a cell is stalled after this long with an idle kernel and no message
CHECK_SECONDS = 2.0    # how often the watch looks at the sockets and the kernel
IDLE_CPU_SECONDS = 0.2  # an idle ipykernel uses about 0.01 s of CPU a minute; a computing one, seconds


class KernelStalled(CellTimeoutError):
    """A cell's kernel sat idle, sending nothing, while nbclient still waited for the cell to finish."""


def process_cpu_seconds(pid: int | None) -> float | None:
    """Return the CPU seconds (user + system) a process and its children have used, or None if unknown."""
    if pid is None:
        return None
    if psutil is not None:
        try:
            process = psutil.Process(pid)
            times = process.cpu_times()
            total = times.user + times.system + getattr(times, "children_user", 0) + getattr(times, "children_system", 0)
            for child in process.children(recursive=True):  # e.g. DataLoader workers
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    child_times = child.cpu_times()
                    total += child_times.user + child_times.system
            return total
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None
    try:  # Linux without psutil: fields 14-17 of /proc/PID/stat (utime, stime, cutime, cstime), in clock ticks
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class WatchedClient(nbclient.NotebookClient):
    """An nbclient NotebookClient whose every cell is watched for lost wakeups and for a stalled kernel."""

    def __init__(self, nb, *, stall_seconds: float = STALL_SECONDS, check_seconds: float = CHECK_SECONDS,
                 nudge: bool = True, **kwargs):
        super().__init__(nb, **kwargs)
        self.stall_seconds = stall_seconds
        self.check_seconds = check_seconds
        self.nudge = nudge
        self.stalled: str | None = None   # what stalled, once a cell has
        self.nudges = 0                   # messages a re-check of ZMQ_EVENTS handed over
        self._last_message = time.monotonic()
        self._alive_task: asyncio.Task | None = None
        self.kernel_ready = False         # True once the kernel has answered kernel_info

    async def async_start_new_kernel_client(self):
        result = await super().async_start_new_kernel_client()
        self.kernel_ready = True
        return result

    start_new_kernel_client = run_sync(async_start_new_kernel_client)   # nbclient binds the sync ones itself

    def kernel_pid(self) -> int | None:
        """Return the kernel process's id, where the kernel manager knows it."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def process_message(self, msg, cell, cell_index):
        self._last_message = time.monotonic()
        return super().process_message(msg, cell, cell_index)

    async def _async_poll_kernel_alive(self) -> None:
        self._alive_task = asyncio.current_task()  # so that a stall can stop it too
        await super()._async_poll_kernel_alive()

    def _recheck_sockets(self) -> None:
        """Read ZMQ_EVENTS through pyzmq's asyncio sockets: a message waiting there goes to its waiter.

        `zmq.asyncio.Socket.get(zmq.EVENTS)` (not `getsockopt`, which skips this) schedules the socket's
        event handler when a message is waiting and a coroutine waits for one: pyzmq's own remedy for an
        edge its file descriptor did not signal. Counted when the descriptor was silent at that moment.
        """
        import select

        import zmq

        for name in ("shell_channel", "iopub_channel"):
            socket = getattr(getattr(self.kc, name, None), "socket", None)
            if socket is None or socket.closed:
                continue
            try:
                signalled = bool(select.select([socket.getsockopt(zmq.FD)], [], [], 0)[0])
            except (OSError, ValueError):
                signalled = True
            waiting = any(not event.future.done() for event in getattr(socket, "_recv_futures", None) or [])
            if socket.get(zmq.EVENTS) & zmq.POLLIN and waiting and not signalled:
                self.nudges += 1

    async def _watch(self, work: asyncio.Future, cell_index: int) -> None:
        """Run beside a cell: re-check the sockets; on a stall, interrupt the kernel and stop the cell."""
        pid = self.kernel_pid()
        cpu, cpu_at = process_cpu_seconds(pid), time.monotonic()
        while not work.done():
            await asyncio.sleep(self.check_seconds)
            if self.nudge:
                self._recheck_sockets()
            now, used = time.monotonic(), process_cpu_seconds(pid)
            if used is None or cpu is None or used - cpu >= IDLE_CPU_SECONDS:
                cpu, cpu_at = used, now          # the kernel is working (or we cannot tell): no stall
                continue
            idle_for = min(now - cpu_at, now - self._last_message)
            if idle_for >= self.stall_seconds and not work.done():
                self.stalled = (f"cell {cell_index} stalled: the kernel sat idle and nothing arrived "
                                f"for {idle_for:.0f} s")
                await self._stop_cell(work)
                return

    async def _stop_cell(self, work: asyncio.Future) -> None:
        """Interrupt the kernel and end the cell's wait (nbclient then raises; the caller retries)."""
        try:
            await asyncio.wait_for(ensure_async(self.km.interrupt_kernel()), 10)
        except Exception:  # noqa: BLE001 - the kernel is shut down next anyway
            pass
        for task in (self._alive_task, getattr(self, "task_poll_for_reply", None)):
            if task is not None and not task.done():
                task.cancel()
        work.cancel()

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._last_message = time.monotonic()
        work = asyncio.ensure_future(super().async_execute_cell(cell, cell_index, execution_count, store_history))
        watch = asyncio.ensure_future(self._watch(work, cell_index))
        try:
            return await work
        except BaseException as error:
            if self.stalled and isinstance(error, (asyncio.CancelledError, DeadKernelError)):
                raise KernelStalled(self.stalled) from None
            raise
        finally:
            watch.cancel()
            if self._alive_task is not None and self._alive_task.done():
                self._alive_task = None

    execute_cell = run_sync(async_execute_cell)


@dataclass
class Execution:
    """What `execute_notebook` returns: the executed notebook, what `run_cells` returned, and how it went."""
    notebook: Any
    result: Any = None
    seconds: float = 0.0        # wall time of the attempt that counted, kernel start included
    attempts: int = 1
    retried: list[str] = field(default_factory=list)   # why each earlier attempt was abandoned
    nudges: int = 0             # replies the event loop had missed, picked up by the watch


def execute_notebook(path: Path, timeout: int, run_cells: Callable | None = None, *, attempts: int = 2,
                     retry_on: tuple[type[BaseException], ...] = (), stall_seconds: float = STALL_SECONDS,
                     check_seconds: float = CHECK_SECONDS, nudge: bool = True,
                     log: Callable[[str], Any] = print) -> Execution:
    """Execute the notebook at `path` (cwd = its folder), watching every cell; return an `Execution`.

    `timeout` bounds each cell, as nbval's --nbval-cell-timeout does. Without `run_cells`, nbclient's
    `execute()` runs every cell (and keeps the widgets' state in the notebook's metadata); with it,
    `run_cells(client, notebook)` runs inside the started kernel, executing cells with
    `client.execute_cell`, and what it returns is `Execution.result`.

    A stalled cell (see this module's docstring), a kernel that fails to start, or an exception of a type
    in `retry_on` ends the attempt: `log` says so, and the notebook is read again and executed in a fresh
    kernel, `attempts` times in all. On the last attempt the exception is raised; a `run_cells` that
    catches a cell's exception itself (and records it) has its result returned as usual.
    """
    path = Path(path)
    retried: list[str] = []
    nudges = 0
    for attempt in range(1, attempts + 1):
        notebook = nbformat.read(path, as_version=4)
        client = WatchedClient(notebook, timeout=timeout, kernel_name="python3",
                               resources={"metadata": {"path": str(path.parent)}},
                               stall_seconds=stall_seconds, check_seconds=check_seconds, nudge=nudge)
        start = time.perf_counter()
        try:
            if run_cells is None:
                client.execute()
                result = None
            else:
                with client.setup_kernel():
                    result = run_cells(client, notebook)
        except Exception as error:  # noqa: BLE001 - sorted below: retried, or raised as before
            nudges += client.nudges
            if client.stalled:
                problem = client.stalled
            elif not client.kernel_ready:
                problem = f"the kernel did not start ({type(error).__name__}: {error})"
            elif isinstance(error, retry_on):
                problem = type(error).__name__
            else:
                raise
            if attempt == attempts:
                raise
        else:
            nudges += client.nudges
            problem = client.stalled   # run_cells may have caught (and recorded) the stall itself
            if problem is None or attempt == attempts:
                if nudges:
                    log(f"{path.name}: the event loop missed {nudges} message(s) from the kernel; "
                        "re-checking the sockets picked them up (jupyter/nbclient#312)")
                return Execution(notebook, result, time.perf_counter() - start, attempt, retried, nudges)
        retried.append(problem)
        log(f"{path.name}: {problem}; executing it once more")
    raise AssertionError("unreachable")


def execute_with_probe(path: Path, probe: str, offset: int, cwd: Path | None = None, timeout: int = 900):
    """Execute a notebook with DLB_SEED_OFFSET=offset and the cell `probe` appended (it prints one JSON object).

    For the lesson seed-range scripts: failing cells do not stop the run; the kernel starts in `cwd` (by
    default the notebook's folder). Returns (the executed notebook,
    the probe's values, wall seconds, {cell index: error message} for every code cell that failed).
    """
    import json
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(probe))
    os.environ["DLB_SEED_OFFSET"] = str(offset)
    start = time.perf_counter()
    # Watched like every other run (this module's docstring): a plain NotebookClient hung here on 04's
    # explorer cell, the kernel idle, on 2026-12-04 (two seed-range processes at once on 2 cores).
    WatchedClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                  resources={"metadata": {"path": str(cwd or path.parent)}}).execute()
    wall = time.perf_counter() - start
    values = json.loads("".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.get("name") == "stdout"))
    failed = {index: next(o["evalue"] for o in cell.outputs if o.get("output_type") == "error")
              for index, cell in enumerate(notebook.cells[:-1])
              if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.outputs)}
    return notebook, values, wall, failed
