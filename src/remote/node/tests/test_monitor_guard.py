"""xivo-ha-guard: the master's telephony waits while the slave is in charge."""

from __future__ import annotations

import json
import os
import time
import unittest
from unittest import mock

from fakes import HERE, lib, temp_dir
from test_monitor_copyback import load_script

guard = load_script("xivo-ha-guard")


class Guard(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self)
        self.state_file = os.path.join(self.tmp, "monitor-state.json")
        self.config_file = os.path.join(self.tmp, "cluster.json")
        with open(self.config_file, "w", encoding="utf-8") as f:
            json.dump({"node": {"name": "master", "role": "master", "address": "198.18.0.11"},
                       "peer": {"name": "slave", "role": "slave", "address": "198.18.0.12"},
                       "paths": {"state_file": self.state_file},
                       "ssh": {"command": [os.path.join(HERE, "fake-slave-ssh")]},
                       "guard": {"timeout": 1}}, f)

    def run_guard(self, status="", rc=0, sleep=0):
        env = {"FAKE_STATUS": status if isinstance(status, str) else json.dumps(status),
               "FAKE_SSH_RC": str(rc), "FAKE_SLEEP": str(sleep)}
        with mock.patch.dict(os.environ, env):
            return guard.main(["xivo-ha-guard", self.config_file])

    def recorded(self):
        with open(self.state_file, encoding="utf-8") as f:
            return json.load(f)

    def test_refuses_to_start_telephony_while_the_slave_is_active(self):
        self.assertEqual(self.run_guard({"state": "active", "since": "2027-01-01T00:00:00Z", "reason": "master down"}), 1)
        self.assertEqual(self.recorded()["state"], "held")

    def test_refuses_while_the_slave_is_failing_back(self):
        self.assertEqual(self.run_guard({"state": "failing-back"}), 1)

    def test_starts_telephony_when_the_slave_is_standby(self):
        self.assertEqual(self.run_guard({"state": "standby"}), 0)
        self.assertEqual(self.recorded()["state"], "released")

    def test_starts_telephony_when_the_slave_is_unreachable(self):
        self.assertEqual(self.run_guard("", rc=255), 0)
        self.assertIn("unreachable", self.recorded()["reason"])

    def test_gives_up_on_a_silent_slave_within_its_timeout(self):
        t0 = time.monotonic()
        self.assertEqual(self.run_guard({"state": "active"}, sleep=5), 0)
        self.assertLess(time.monotonic() - t0, 4)

    def test_keeps_the_held_since_time_across_repeated_refusals_and_logs_the_transitions(self):
        self.run_guard({"state": "active"})
        first = self.recorded()["since"]
        time.sleep(1.1)
        self.run_guard({"state": "active"})
        self.assertEqual(self.recorded()["since"], first)
        self.run_guard({"state": "standby"})
        self.assertEqual([h["to"] for h in self.recorded()["history"]], ["held", "released"])

    def test_reads_the_slave_state_inside_the_forced_commands_status_document(self):
        # xivo-ha-receive status prints {"monitor": <monitor-state.json>, "replication": …}.
        self.assertEqual(self.run_guard({"monitor": {"state": "active", "since": "t"}, "replication": {}}), 1)
        self.assertEqual(self.recorded()["slave_state"], "active")
        self.assertEqual(self.run_guard({"monitor": {"state": "standby"}, "replication": {}, "paused": {}}), 0)

    def test_starts_telephony_when_the_slave_has_no_monitor_state_yet(self):
        self.assertEqual(self.run_guard({"monitor": {}, "replication": {}}), 0)

    def test_ha_state_is_read_from_the_status_document_or_a_bare_state(self):
        self.assertEqual(lib.ha_state_of({"monitor": {"state": "held"}, "replication": {}}), "held")
        self.assertEqual(lib.ha_state_of({"state": "held"}), "held")
        self.assertIsNone(lib.ha_state_of({"monitor": {}, "replication": {}}))
        self.assertIsNone(lib.ha_state_of("held"))

    def test_decision_reasons_name_the_slave(self):
        allowed, reason = guard.decide({"state": "active", "since": "t", "reason": "r"}, "", "198.18.0.12")
        self.assertFalse(allowed)
        self.assertIn("198.18.0.12 is active since t (r)", reason)


if __name__ == "__main__":
    unittest.main()
