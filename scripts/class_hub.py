"""A class on a real JupyterHub, on 127.0.0.1: N students each pull the course with nbgitpuller and run a lesson.

A rehearsal of docs/hub.md on this machine, bounded in time. It starts a JupyterHub (test-only
DummyAuthenticator, SimpleLocalProcessSpawner: every student is a Jupyter server of their own, in a
home folder of their own under a temporary folder, all as this user), listening on 127.0.0.1 only.
The course comes from a local clone of this checkout's last commit, so nothing leaves the machine.
Then, all students at once, through the hub and its proxy, each with their own API token:

  1. start the student's server (POST /hub/api/users/NAME/server) and wait until it is ready;
  2. follow the course's nbgitpuller link (/hub/user-redirect/git-pull?repo=...&urlpath=...&branch=...)
     to the student's server, then pull the course as the link's page does (GET .../git-pull/api);
  3. open the link's urlpath in JupyterLab, and open the lesson as JupyterLab does: a session
     (POST .../api/sessions) whose kernel starts in the lesson's folder of the pulled copy;
  4. run every code cell of the pulled lesson over the kernel's websocket, top to bottom.

Per student it reports the server's start and pull times, whether the lesson finished, its wall time,
the kernel's peak memory (RSS and private memory, as scripts/class_load.py samples them every 0.2 s)
and CPU time, the Jupyter server's own memory, and
whether every assert held; then a summary line. Everything is stopped at the end, or at --timeout-s.

Needs, outside the course's environment (which only the kernels use):
    python3 -m venv /tmp/hubenv && /tmp/hubenv/bin/pip install jupyterhub nbgitpuller jupyterlab
    npm install --prefix /tmp/chp configurable-http-proxy
Run from the repository root (the course's environment runs this script and the kernels):
    .venv/bin/python scripts/class_hub.py --students 2 --notebook 02 --timeout-s 900
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import psutil
import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import class_load  # noqa: E402

COURSE = "deep-learning-basics"  # the clone's folder name, as nbgitpuller names it after the repo URL
SAMPLE_S = 0.2
HUB_CONFIG = """\
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{run}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{run}/cookie_secret"
c.JupyterHub.pid_file = "{run}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"  # test only: no passwords; this hub is for a rehearsal
c.JupyterHub.spawner_class = "simple"  # test only: every student runs as this user, in a home of their own
c.SimpleLocalProcessSpawner.home_dir_template = "{run}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--ServerApp.allow_root=True"]  # harmless outside root; needed as root
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {start_timeout}
c.Spawner.http_timeout = {start_timeout}
c.Spawner.environment = {environment!r}
c.JupyterHub.services = [{{"name": "class-hub", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "class-hub", "services": ["class-hub"],
                            "scopes": ["admin:users", "admin:servers", "tokens", "read:users"]}}]
"""


def nbgitpuller_link(hub: str, repo: str, branch: str, urlpath: str) -> str:
    """Return the nbgitpuller link for a hub, as nbgitpuller's link generator builds it."""
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?" + urlencode({"repo": repo, "urlpath": urlpath,
                                                                         "branch": branch})


def lesson_urlpath(notebook: str) -> str:
    """Return the JupyterLab urlpath that opens a lesson of the pulled course."""
    return f"lab/tree/{COURSE}/notebooks/{notebook}"


def spawner_environment(threads: int | None, jupyter_path: Path) -> dict[str, str]:
    """Return the variables every student server (and so every kernel) gets: threads and the course kernel."""
    env = {"JUPYTER_PATH": str(jupyter_path)}
    if threads is not None:
        env.update({name: str(threads) for name in class_load.THREAD_VARIABLES})
    return env


def write_kernelspec(folder: Path) -> Path:
    """Write a 'python3' kernelspec that runs the course's environment (this interpreter); return its JUPYTER_PATH."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (deep-learning-basics)", "language": "python"}))
    return folder


def clone_course(run: Path, branch: str) -> Path:
    """Clone this checkout's last commit on `branch` into run/origin/deep-learning-basics; return its path."""
    origin = run / "origin" / COURSE
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", "--branch", branch, str(ROOT), str(origin)],
                   check=True)
    return origin


class Hub:
    """A JupyterHub started in a temporary folder, on 127.0.0.1; stopped (with every server it spawned) by stop()."""

    def __init__(self, run: Path, hub_env: Path, proxy: str, port: int, threads: int | None, start_timeout: int):
        self.run, self.url, self.token = run, f"http://127.0.0.1:{port}", secrets.token_hex(32)
        config = HUB_CONFIG.format(
            port=port, hub_port=port + 1, proxy_api_port=port + 2, proxy=proxy, run=run, token=self.token,
            singleuser=str(hub_env / "bin" / "jupyterhub-singleuser"), start_timeout=start_timeout,
            environment=spawner_environment(threads, write_kernelspec(run / "jupyter")))
        (run / "jupyterhub_config.py").write_text(config)
        env = {**os.environ, "PATH": f"{hub_env / 'bin'}{os.pathsep}{os.environ['PATH']}"}
        self.log = open(run / "hub.log", "w")
        self.process = subprocess.Popen([str(hub_env / "bin" / "jupyterhub"), "-f", str(run / "jupyterhub_config.py")],
                                        cwd=run, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """Return the hub API's answer to a request made with the service's token."""
        response = requests.request(method, f"{self.url}/hub/api{path}", timeout=60,
                                    headers={"Authorization": f"token {self.token}"}, **kwargs)
        response.raise_for_status()
        return response

    def wait_until_up(self, timeout_s: float) -> None:
        """Return once the hub answers; raise with the log's tail if it does not within timeout_s."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end and self.process.poll() is None:
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"JupyterHub did not start within {timeout_s:g} s; the end of {self.run / 'hub.log'}:\n"
                           + "\n".join((self.run / "hub.log").read_text().splitlines()[-20:]))

    def stop(self, names: list[str]) -> None:
        """Stop every student's server, then the hub and its proxy; kill what is left of what it started."""
        started = [p for p in self.descendants() if p.pid != self.process.pid]
        for name in names:
            try:
                self.api("DELETE", f"/users/{name}/server")
            except requests.RequestException:
                pass
        started += server_processes(names, self.run)
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        alive = [p for p in started if p.is_running()]
        for process in alive:
            try:
                process.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(alive, timeout=10)
        for process in alive:
            try:
                process.kill()
            except psutil.Error:
                pass
        self.log.close()

    def descendants(self) -> list[psutil.Process]:
        """Return the hub's descendants (the proxy)."""
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            return []


def server_processes(names: list[str], run: Path) -> list[psutil.Process]:
    """Return the running Jupyter servers this run started for these students, with their kernels."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if not any("jupyterhub-singleuser" in part for part in process.info["cmdline"] or []):
                continue
            env = process.environ()  # this run's servers: its students, with homes in its folder
            if env.get("JUPYTERHUB_USER") in names and env.get("HOME", "").startswith(f"{run}/"):
                found += [process, *process.children(recursive=True)]
        except psutil.Error:
            continue
    return found


def server_pid(name: str, run: Path) -> int | None:
    """Return the pid of a student's running Jupyter server, None when there is none."""
    for process in server_processes([name], run):
        if any("jupyterhub-singleuser" in part for part in process.cmdline()):
            return process.pid
    return None


class Student:
    """One student's session: their server, their pull of the course, the lesson run cell by cell in their kernel."""

    def __init__(self, hub: Hub, name: str, repo: str, branch: str, notebook: str, deadline: float):
        self.hub, self.name, self.repo, self.branch, self.notebook = hub, name, repo, branch, notebook
        self.deadline, self.token = deadline, None
        self.result = {"finished": False, "seconds": 0.0, "peak_rss": 0, "peak_private": 0, "max_rss": None,
                       "cpu_seconds": 0.0,
                       "error": None, "cells_done": 0, "cells": None, "server_s": None, "pull_s": None,
                       "server_rss": 0, "pid": None, "threads": None}

    def get(self, path: str, **kwargs) -> requests.Response:
        """Return the answer to a GET, as this student, of a path under the hub's URL."""
        response = requests.get(f"{self.hub.url}{path}", headers={"Authorization": f"token {self.token}"},
                                timeout=max(5, self.deadline - time.monotonic()), **kwargs)
        response.raise_for_status()
        return response

    def run(self) -> None:
        """Go through the whole session; record an unexpected failure as the student's error."""
        try:
            start = time.monotonic()
            self.start_server()
            self.result["server_s"] = time.monotonic() - start
            start = time.monotonic()
            self.pull()
            self.result["pull_s"] = time.monotonic() - start
            self.run_lesson()
        except Exception as error:  # reported in the table; the other students go on
            if time.monotonic() < self.deadline:
                self.result["error"] = f"{type(error).__name__}: {str(error).strip()[:200]}"

    def start_server(self) -> None:
        """Create the student, get them a token, start their server and wait until the hub says it is ready."""
        self.hub.api("POST", f"/users/{self.name}")
        self.token = self.hub.api("POST", f"/users/{self.name}/tokens", json={"note": "class_hub"}).json()["token"]
        self.hub.api("POST", f"/users/{self.name}/server")
        while time.monotonic() < self.deadline:
            server = self.hub.api("GET", f"/users/{self.name}").json().get("servers", {}).get("", {})
            if server.get("ready"):
                self.result["pid"] = server_pid(self.name, self.hub.run)
                return
            time.sleep(0.5)
        raise TimeoutError("the server did not start before the deadline")

    def login(self) -> requests.Session:
        """Return a session logged in to the hub as this student, as a browser is (any password: test-only)."""
        browser = requests.Session()
        browser.get(f"{self.hub.url}/hub/login", timeout=60).raise_for_status()
        form = {"username": self.name, "password": "any", "_xsrf": browser.cookies.get("_xsrf", "")}
        answer = browser.post(f"{self.hub.url}/hub/login", data=form, allow_redirects=False, timeout=60)
        if answer.status_code != 302:
            raise RuntimeError(f"logging in to the hub answered {answer.status_code}, not a redirect")
        return browser

    def pull(self) -> None:
        """Follow the nbgitpuller link as a logged-in student, then pull the course as the link's page does."""
        browser = self.login()
        link = nbgitpuller_link(self.hub.url, self.repo, self.branch, lesson_urlpath(self.notebook))
        timeout = max(5, self.deadline - time.monotonic())
        page = browser.get(link, timeout=timeout)  # hub -> /user/NAME/git-pull?... (after the OAuth hand-over)
        page.raise_for_status()
        if not page.url.startswith(f"{self.hub.url}/user/{self.name}/git-pull?"):
            raise RuntimeError(f"the link led to {page.url}, not to the student's git-pull page")
        query = urlencode({"repo": self.repo, "branch": self.branch})
        with browser.get(f"{self.hub.url}/user/{self.name}/git-pull/api?{query}", stream=True,
                         timeout=timeout) as events:
            events.raise_for_status()
            for line in events.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    event = json.loads(line[5:])
                    if event.get("phase") == "error":
                        raise RuntimeError(f"nbgitpuller: {event.get('message')} {event.get('output', '')[-300:]}")
                    if event.get("phase") == "finished":
                        break
        # where the link's page sends the student once the pull is done: the lesson in JupyterLab
        browser.get(f"{self.hub.url}/user/{self.name}/{quote(lesson_urlpath(self.notebook))}",
                    timeout=timeout).raise_for_status()

    def run_lesson(self) -> None:
        """Open the pulled lesson in a kernel started in its folder and run every code cell over the websocket."""
        path = f"{COURSE}/notebooks/{self.notebook}"
        api = f"/user/{self.name}/api"
        cells = [c for c in self.get(f"{api}/contents/{quote(path)}").json()["content"]["cells"]
                 if c["cell_type"] == "code"]
        self.result["cells"] = len(cells)
        session = requests.post(f"{self.hub.url}{api}/sessions", timeout=120,
                                headers={"Authorization": f"token {self.token}"},
                                json={"path": path, "type": "notebook", "name": self.notebook,
                                      "kernel": {"name": "python3"}})
        session.raise_for_status()
        kernel = session.json()["kernel"]["id"]
        channel = websocket.create_connection(
            f"ws://127.0.0.1:{self.hub.url.rsplit(':', 1)[1]}{api}/kernels/{kernel}/channels",
            header=[f"Authorization: token {self.token}"], timeout=max(5, self.deadline - time.monotonic()))
        start = time.monotonic()
        try:
            for index, cell in enumerate(cells):
                reply = self.execute(channel, "".join(cell["source"]) if isinstance(cell["source"], list)
                                     else cell["source"])
                if reply["status"] != "ok":
                    self.result["error"] = f"code cell {index}: {reply.get('ename')}: {reply.get('evalue')}"
                    break
                self.result["cells_done"] += 1
            self.result.update(finished=True, seconds=time.monotonic() - start)
            probe = self.execute(channel, "", {"threads": "__import__('torch').get_num_threads()"})
            self.result["threads"] = probe.get("user_expressions", {}).get("threads", {}).get("data", {}).get(
                "text/plain")
            if self.result["pid"]:  # the kernel's CPU time now, before its session is closed
                cpu_now = class_load.tree_usage(self.result["pid"])[2]
                self.result["cpu_seconds"] = max(self.result["cpu_seconds"], cpu_now)
        finally:
            channel.close()
            if not self.result["finished"]:
                self.result["seconds"] = time.monotonic() - start

    def execute(self, channel, code: str, expressions: dict | None = None) -> dict:
        """Run one cell's code in the kernel (evaluating `expressions` after it); return its execute_reply content."""
        msg_id = uuid.uuid4().hex
        channel.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.name,
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": expressions or {},
                        "allow_stdin": False, "stop_on_error": True}}))
        while True:
            channel.settimeout(max(1, self.deadline - time.monotonic()))
            message = json.loads(channel.recv())
            if message.get("parent_header", {}).get("msg_id") == msg_id and \
                    message.get("msg_type") == "execute_reply":
                return message["content"]


def sample(students: list[Student], class_peak: int) -> int:
    """Record each kernel's memory and CPU time and each server's RSS; return the kernels' peak memory so far."""
    usage = []
    for result in (student.result for student in students if student.result["pid"]):
        rss, private, cpu = class_load.tree_usage(result["pid"])
        result["peak_rss"], result["peak_private"] = max(result["peak_rss"], rss), max(result["peak_private"], private)
        result["cpu_seconds"] = max(result["cpu_seconds"], cpu)
        try:
            result["server_rss"] = max(result["server_rss"], psutil.Process(result["pid"]).memory_info().rss)
        except psutil.Error:
            pass
        usage.append((rss, private, cpu))
    return max(class_peak, class_load.class_memory(usage))


def hub_rows(results: list[dict]) -> list[list]:
    """Return one table row per student (student-1, student-2, ...)."""
    rows = []
    for i, result in enumerate(results, 1):
        seconds = ["-" if result[key] is None else f"{result[key]:.1f} s" for key in ("server_s", "pull_s")]
        wall = f"{result['seconds']:.1f} s" if result["finished"] else f"> {result['seconds']:.0f} s (stopped)"
        rows.append([f"student-{i}", *seconds, "yes" if result["finished"] else "**no**", wall,
                     class_load.megabytes(result["peak_rss"]), class_load.megabytes(result["peak_private"]),
                     f"{result['cpu_seconds']:.1f} s", result["threads"] or "?",
                     class_load.megabytes(result["server_rss"]), class_load.assert_verdict(result)])
    return rows


HUB_HEADER = ["student", "server ready", "nbgitpuller pull", "lesson finished", "lesson wall time",
              "kernel peak RSS", "kernel peak private", "kernel CPU time",
              "torch threads in the kernel", "Jupyter server RSS", "every assert held"]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """Return the checked command-line arguments (exits with a message saying what is wrong)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=class_load.positive_whole, required=True, help="how many students at once")
    parser.add_argument("--notebook", default="02", help="the lesson's number or name prefix (default 02)")
    parser.add_argument("--timeout-s", type=class_load.positive_number, default=1200.0,
                        help="seconds for the whole run, hub start included; then everything is stopped")
    parser.add_argument("--threads-per-kernel", type=class_load.parse_threads, default=None, metavar="K",
                        help="set DLB_THREADS and OMP_NUM_THREADS to K for every server's kernels; by default "
                             "nothing is set, so the course's thread policy sees JUPYTERHUB_USER and takes 1")
    parser.add_argument("--hub-env", type=Path, default=Path("/tmp/hubenv"),
                        help="the environment with jupyterhub, nbgitpuller and jupyterlab (default /tmp/hubenv)")
    parser.add_argument("--proxy", default="/tmp/chp/node_modules/.bin/configurable-http-proxy",
                        help="configurable-http-proxy's command (default: the npm install in /tmp/chp)")
    parser.add_argument("--port", type=class_load.positive_whole, default=18000,
                        help="the hub's port on 127.0.0.1 (the next two ports are used too; default 18000)")
    parser.add_argument("--branch", default="main", help="the branch the students pull (default main)")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (homes, hub.log) afterwards")
    args = parser.parse_args(argv)
    paths = class_load.select_notebooks(class_load.NOTEBOOKS, [args.notebook])
    if len(paths) != 1:
        parser.error(f"--notebook {args.notebook} names {len(paths)} notebooks in notebooks/; give one, e.g. 02")
    args.notebook_name = paths[0].name
    if not (args.hub_env / "bin" / "jupyterhub").exists():
        parser.error(f"no JupyterHub in {args.hub_env}: python3 -m venv {args.hub_env} && "
                     f"{args.hub_env}/bin/pip install jupyterhub nbgitpuller jupyterlab")
    if not shutil.which(args.proxy):
        parser.error(f"no configurable-http-proxy at {args.proxy}: "
                     "npm install --prefix /tmp/chp configurable-http-proxy")
    return args


def run_hub_class(args: argparse.Namespace, run: Path) -> dict:
    """Start the hub, run every student's session at once until done or the deadline; return the run's results."""
    start = time.monotonic()
    deadline = start + args.timeout_s
    origin = clone_course(run, args.branch)
    hub = Hub(run, args.hub_env, args.proxy, args.port, args.threads_per_kernel, start_timeout=int(args.timeout_s))
    students = [Student(hub, f"student-{i}", str(origin), args.branch, args.notebook_name, deadline)
                for i in range(1, args.students + 1)]
    class_peak = 0
    try:
        hub.wait_until_up(min(120, args.timeout_s))
        threads = [threading.Thread(target=student.run, daemon=True) for student in students]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads) and time.monotonic() < deadline:
            class_peak = sample(students, class_peak)
            time.sleep(SAMPLE_S)
    finally:
        hub.stop([student.name for student in students])
    return {"students": [student.result for student in students], "class_peak_memory": class_peak,
            "elapsed": time.monotonic() - start, "link": nbgitpuller_link(hub.url, str(origin), args.branch,
                                                                          lesson_urlpath(args.notebook_name))}


def main(argv: list[str] | None = None) -> int:
    from benchmarks.benchmark import markdown_table  # loads torch: see class_load.main

    args = parse_arguments(argv)
    print(class_load.machine_line(args.threads_per_kernel, unset="unset (the course's thread policy decides)"),
          flush=True)
    run = Path(tempfile.mkdtemp(prefix="dlb-hub-"))
    try:
        result = run_hub_class(args, run)
    finally:
        if not args.keep:
            shutil.rmtree(run, ignore_errors=True)
    print(f"nbgitpuller link the students followed: {result['link']}")
    print("\n" + markdown_table(HUB_HEADER, hub_rows(result["students"])))
    print("\n" + class_load.summary_line(result, Path(args.notebook_name).stem + " on JupyterHub",
                                         args.threads_per_kernel, args.timeout_s, os.cpu_count(),
                                         unset="the thread policy's threads"))
    if args.keep:
        print(f"The run's folder (homes, hub.log, jupyterhub_config.py): {run}")
    return 0 if all(r["finished"] and not r["error"] for r in result["students"]) else 1


if __name__ == "__main__":
    sys.exit(main())
