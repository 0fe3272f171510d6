"""xivo-ha-standby-telephony: the apply's "telephony held back on the standby
slave", decided again on the node under the HA lock."""

from __future__ import annotations

import fcntl
import json
import os
import unittest

from fakes import FakeClock, lib, load_script, make_config, temp_dir


standby = load_script("xivo-ha-standby-telephony")
UNIT = "asterisk.service"


class Node:
    """The commands the program runs, and a telephony unit they switch."""

    def __init__(self, running: bool, fail: str | None = None):
        self.running = running
        self.fail = fail
        self.calls: list[list[str]] = []

    def __call__(self, argv: list[str], timeout: float) -> lib.CommandResult:
        self.calls.append(argv)
        if self.fail and self.fail in argv:
            return lib.CommandResult(1, f"{self.fail} went wrong")
        if argv[:2] == ["systemctl", "is-active"]:
            return lib.CommandResult(0 if self.running else 3, "")
        if argv[:2] == ["systemctl", "stop"]:
            self.running = False
        return lib.CommandResult(0, "")

    def changing_calls(self) -> list[list[str]]:
        return [argv for argv in self.calls if argv[:2] != ["systemctl", "is-active"]]


class StandbyTelephony(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self)
        self.config = make_config(self.tmp)
        self.marker = os.path.join(self.tmp, "disabled")
        self.said: list[str] = []

    def monitor_says(self, state: str) -> None:
        with open(self.config.paths["state_file"], "w", encoding="utf-8") as f:
            json.dump({"state": state}, f)

    def stop(self, node: Node, clock: FakeClock | None = None) -> int:
        return standby.stop(self.config, UNIT, self.marker, lock_wait=30, run=node, clock=clock or FakeClock(),
                            say=self.said.append, fail=lambda line: self.said.append(f"stderr: {line}"))

    def test_a_standby_slave_is_disabled_at_boot_then_stopped(self):
        self.monitor_says("standby")
        node = Node(running=True)
        self.assertEqual(self.stop(node), 0)
        self.assertEqual(node.changing_calls(), [["xivo-service", "disable"], ["systemctl", "stop", UNIT]])
        self.assertFalse(node.running)
        self.assertEqual(self.said, ["disabled at boot: xivo-service disable", f"stopped: {UNIT}"])

    def test_a_slave_without_monitor_state_yet_is_held_back_too(self):
        node = Node(running=True)
        self.assertEqual(self.stop(node), 0)
        self.assertFalse(node.running)

    def test_a_slave_in_charge_keeps_its_telephony(self):
        for state in ("active", "failing-back"):
            with self.subTest(state=state):
                self.monitor_says(state)
                node = Node(running=True)
                self.said.clear()
                self.assertEqual(self.stop(node), 0)
                self.assertEqual(node.calls, [])
                self.assertTrue(node.running)
                self.assertIn(f"kept: this slave is in charge (monitor state {state})", self.said[0])

    def test_changes_nothing_already_held_back(self):
        self.monitor_says("standby")
        open(self.marker, "w").close()
        node = Node(running=False)
        self.assertEqual(self.stop(node), 0)
        self.assertEqual(node.changing_calls(), [])
        self.assertEqual(self.said, [f"already disabled at boot ({self.marker} exists)", f"already stopped: {UNIT}"])

    def test_a_takeover_holding_the_lock_wins_the_race(self):
        # The apply gathered "standby"; the monitor takes over (holding the
        # HA lock, writing "active") while the step waits for the lock.
        self.monitor_says("standby")
        fd = os.open(self.config.paths["ha_lock"], os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        test = self

        class TakeoverDuringWait(FakeClock):
            def sleep(self, seconds: float) -> None:
                super().sleep(seconds)
                test.monitor_says("active")
                os.close(fd)  # the takeover is done: the lock is free

        node = Node(running=True)
        self.assertEqual(self.stop(node, TakeoverDuringWait()), 0)
        self.assertEqual(node.calls, [])
        self.assertTrue(node.running)

    def test_a_lock_that_stays_busy_changes_nothing(self):
        self.monitor_says("standby")
        fd = os.open(self.config.paths["ha_lock"], os.O_RDWR | os.O_CREAT, 0o600)
        self.addCleanup(os.close, fd)
        fcntl.flock(fd, fcntl.LOCK_EX)
        node = Node(running=True)
        clock = FakeClock()
        self.assertEqual(self.stop(node, clock), 3)
        self.assertEqual(node.calls, [])
        self.assertGreaterEqual(clock.t, 30)
        self.assertIn("stderr: kept: the HA lock", self.said[0])
        self.assertIn("stayed busy", self.said[0])

    def test_a_failing_command_stops_there_and_says_why(self):
        self.monitor_says("standby")
        node = Node(running=True, fail="xivo-service")
        self.assertEqual(self.stop(node), 1)
        self.assertEqual(node.changing_calls(), [["xivo-service", "disable"]])
        self.assertEqual(self.said, ["stderr: failed: xivo-service disable exited 1: xivo-service went wrong"])

    def test_main_reports_a_bad_configuration_with_exit_2(self):
        self.assertEqual(standby.main(["--config", os.path.join(self.tmp, "missing.json"), "stop"]), 2)


if __name__ == "__main__":
    unittest.main()
