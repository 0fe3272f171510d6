"""Fakes shared by the monitor tests: a clock that jumps instead of sleeping,
a scripted master, a recording command runner, and a throw-away config."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import sys
import tempfile
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.dirname(HERE)
sys.path.insert(0, NODE_DIR)

import xivo_ha_monitor_lib as lib  # noqa: E402

EPOCH = 1_800_000_000.0


def load_script(name: str):
    """A node program (no .py suffix) as a module, to test its functions."""
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), os.path.join(NODE_DIR, name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return EPOCH + self.t

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.t += seconds


class ScriptedMaster:
    """probe results from functions of the fake time (seconds since start)."""

    def __init__(self, clock: FakeClock, sip: Callable[[float], bool],
                 icmp: Callable[[float], bool] | None = None,
                 ready: Callable[[float], bool] | None = None,
                 witness: Callable[[float], bool] = lambda t: True,
                 probe_duration: float = 0.0):
        self.clock = clock
        self.sip, self.icmp, self.ready = sip, icmp, ready
        self.witness = witness
        self.probe_duration = probe_duration
        self.attempts: list[tuple[float, dict[str, bool]]] = []
        self.witness_probes: list[float] = []

    def probe_master(self, kinds: list[str]) -> lib.ProbeResult:
        t = self.clock.t
        sip = self.sip(t)  # evaluated once: scripted answers may be a sequence
        values = {"sip": sip, "icmp": self.icmp(t) if self.icmp else sip,
                  "telephony-ready": self.ready(t) if self.ready else sip}
        passed = {k: values[k] for k in kinds}
        self.attempts.append((t, passed))
        self.clock.sleep(self.probe_duration)
        return lib.ProbeResult(passed, {k: f"{k} failed" for k, ok in passed.items() if not ok})

    def probe_witness(self, address: str) -> bool:
        self.witness_probes.append(self.clock.t)
        return self.witness(self.clock.t)


class RecordingRunner:
    """Records the commands; a successful ["start"] or ["stop"] turns the
    node's fake telephony on or off (what telephony_running reads)."""

    def __init__(self, clock: FakeClock, rc: Callable[[list[str]], int] = lambda argv: 0,
                 telephony: bool = False):
        self.clock = clock
        self.rc = rc
        self.telephony = telephony
        self.calls: list[tuple[float, list[str]]] = []

    def __call__(self, argv: list[str], timeout: float) -> lib.CommandResult:
        self.calls.append((self.clock.t, argv))
        rc = self.rc(argv)
        if rc == 0 and argv in (["start"], ["stop"]):
            self.telephony = argv == ["start"]
        return lib.CommandResult(rc, "")

    def names(self) -> list[str]:
        return [argv[0] for _, argv in self.calls]


ACTIONS = {
    "takeover": [["snapshot"], ["enable"], ["start"]],
    "after_takeover": [["relog"]],
    "before_failback": [["copyback"]],
    "failback": [["stop"], ["disable"]],
    "after_failback": [["resume-master"]],
    "telephony_restart": [["start"], ["relog"]],
}


def make_config(tmp: str, monitor: dict[str, Any] | None = None,
                actions: dict[str, Any] | None = None) -> lib.Config:
    raw = {
        "node": {"name": "slave", "role": "slave", "address": "198.18.0.12"},
        "peer": {"name": "master", "role": "master", "address": "198.18.0.11"},
        "monitor": monitor or {},
        "actions": ACTIONS if actions is None else actions,
        "paths": {
            "state_file": os.path.join(tmp, "monitor-state.json"),
            "paused_file": os.path.join(tmp, "paused.json"),
            "ha_lock": os.path.join(tmp, "ha.lock"),
            "copyback_result": os.path.join(tmp, "copyback-result.json"),
            "request_file": os.path.join(tmp, "monitor-request.json"),
            "request_result": os.path.join(tmp, "monitor-request-result.json"),
        },
    }
    path = os.path.join(tmp, "cluster.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(raw, f)
    return lib.load_config(path)


def temp_dir(test: Any) -> str:
    holder = tempfile.TemporaryDirectory(prefix="xivo-ha-monitor-test-")
    test.addCleanup(holder.cleanup)
    return holder.name


def run_until(monitor: lib.Monitor, clock: FakeClock, t_end: float) -> None:
    while clock.t < t_end:
        monitor.tick()
