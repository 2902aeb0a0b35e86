"""The JupyterHub rehearsal's pure parts: the nbgitpuller link, the kernels' environment, the config, the table."""

import ast
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from scripts import class_hub


def test_link_has_nbgitpullers_format():
    link = class_hub.nbgitpuller_link("https://hub.school.example/", "https://github.com/deep-learning-basics/"
                                      "deep-learning-basics", "main",
                                      class_hub.lesson_urlpath("01_what_is_deep_learning.ipynb"))
    assert link == ("https://hub.school.example/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2F"
                    "deep-learning-basics%2Fdeep-learning-basics&urlpath=lab%2Ftree%2Fdeep-learning-basics%2F"
                    "notebooks%2F01_what_is_deep_learning.ipynb&branch=main")
    query = parse_qs(urlsplit(link).query)
    assert query["urlpath"] == ["lab/tree/deep-learning-basics/notebooks/01_what_is_deep_learning.ipynb"]


def test_link_in_the_hub_guide_is_the_one_the_script_builds():
    guide = (Path(__file__).resolve().parent.parent / "docs" / "hub.md").read_text()
    link = class_hub.nbgitpuller_link("https://hub.example.org", "https://github.com/deep-learning-basics/"
                                      "deep-learning-basics", "main",
                                      class_hub.lesson_urlpath("01_what_is_deep_learning.ipynb"))
    assert link in guide


def test_spawner_environment_sets_threads_and_the_course_kernel(tmp_path):
    assert class_hub.spawner_environment(1, tmp_path) == {"JUPYTER_PATH": str(tmp_path), "DLB_THREADS": "1",
                                                          "OMP_NUM_THREADS": "1"}
    assert class_hub.spawner_environment(None, tmp_path) == {"JUPYTER_PATH": str(tmp_path)}


def test_hub_config_listens_on_localhost_only_and_is_python():
    config = class_hub.HUB_CONFIG.format(port=18000, hub_port=18001, proxy_api_port=18002, proxy="/x/chp",
                                         run="/tmp/run", token="t" * 64, singleuser="/x/jupyterhub-singleuser",
                                         start_timeout=60, environment={"DLB_THREADS": "1"})
    ast.parse(config)
    assert 'c.JupyterHub.ip = "127.0.0.1"' in config and 'c.JupyterHub.hub_ip = "127.0.0.1"' in config
    assert "http://127.0.0.1:18002" in config and '"/tmp/run/home/{username}"' in config


def test_rows_show_server_pull_lesson_and_memory():
    result = {"finished": True, "seconds": 46.5, "peak_rss": 1.19e9, "peak_private": 0.7e9, "max_rss": None,
              "cpu_seconds": 22.8, "error": None, "cells_done": 32, "cells": 32, "server_s": 9.5, "pull_s": 1.4,
              "server_rss": 152e6, "pid": 1, "threads": "1"}
    stopped = {**result, "finished": False, "seconds": 9.0, "cells_done": 7, "server_s": None, "pull_s": None,
               "threads": None}
    rows = class_hub.hub_rows([result, stopped])
    assert rows[0] == ["student-1", "9.5 s", "1.4 s", "yes", "46.5 s", "1,190 MB", "700 MB", "22.8 s", "1",
                       "152 MB", "✅ all held"]
    assert rows[1][1:5] == ["-", "-", "**no**", "> 9 s (stopped)"] and rows[1][-1].startswith("not known: 7 of 32")
    assert rows[1][8] == "?"
    assert len(rows[0]) == len(class_hub.HUB_HEADER)
