"""bench/proccpu.py, the /proc accounting behind CPU-seconds per delivered message: a process
tree's live descendants are found, and a child that did its work and was reaped still counts."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A parent that, on "go", runs a child burning 0.3 s of CPU (by its own CPU clock, so the amount
# of work does not depend on how busy the machine is), reaps it, then starts a child that blocks
# and prints its pid, and exits on "end".
PARENT = """
import subprocess, sys
sys.stdin.readline()
subprocess.run([sys.executable, "-c", "import time\\nwhile time.process_time() < 0.3: pass"])
print("reaped", flush=True)
sleeper = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                           stdin=subprocess.PIPE)
print(sleeper.pid, flush=True)
sys.stdin.readline()
sleeper.kill()
sleeper.wait()
"""


@pytest.fixture(scope="module")
def proccpu() -> ModuleType:
    spec = importlib.util.spec_from_file_location("proccpu", ROOT / "bench" / "proccpu.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_reaped_childs_cpu_counts_in_its_parents_tree_and_live_children_are_found(
    proccpu: ModuleType,
) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdin and parent.stdout
    try:
        before = proccpu.sample({"tree": [parent.pid]})
        parent.stdin.write("go\n")
        parent.stdin.flush()
        assert parent.stdout.readline().strip() == "reaped"
        after = proccpu.sample({"tree": [parent.pid]})
        # the child is gone: its 0.3 s are in the parent's cutime (less one clock tick of rounding)
        assert proccpu.delta(before, after)["tree"] >= 0.3 - 2 / proccpu.CLK_TCK
        sleeper = int(parent.stdout.readline())
        assert sleeper in proccpu.process_tree([parent.pid])
        assert proccpu.rss_kib([parent.pid]) > proccpu.rss_kib([sleeper])
    finally:
        parent.stdin.write("end\n")
        parent.stdin.close()
        parent.wait(10)
        parent.stdout.close()


def test_a_gone_process_counts_nothing_and_deltas_never_go_negative(proccpu: ModuleType) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert proccpu.cpu_seconds(gone.pid) == 0.0
    assert proccpu.process_tree([gone.pid]) == []
    assert proccpu.delta({"web": 2.0, "pg": 1.0}, {"web": 1.5, "pg": 1.25}) == {
        "web": 0.0,
        "pg": 0.25,
    }
