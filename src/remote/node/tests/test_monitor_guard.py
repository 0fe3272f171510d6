"""xivo-ha-guard: the master's telephony waits while the slave is in charge."""

from __future__ import annotations

import json
import os
import time
import unittest
from unittest import mock

from fakes import HERE, lib, load_script, temp_dir

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

    def run_guard(self, status="", rc=0, sleep=0, slave_sip=(False, "SIP port unreachable (nothing listens)")):
        """The guard against a fake ssh; the slave's SIP is a stand-in too
        (self.sip_asked says whether the guard asked it)."""
        env = {"FAKE_STATUS": status if isinstance(status, str) else json.dumps(status),
               "FAKE_SSH_RC": str(rc), "FAKE_SLEEP": str(sleep)}
        sip = mock.Mock(return_value=slave_sip)
        with mock.patch.dict(os.environ, env), mock.patch.object(guard.lib, "sip_options", sip):
            rc = guard.main(["xivo-ha-guard", self.config_file])
        self.sip_asked = sip.call_args_list
        return rc

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

    def was(self, state):
        """This master's last recorded state."""
        with open(self.state_file, "w", encoding="utf-8") as f:
            json.dump({"version": 1, "role": "master", "state": state}, f)

    def test_starts_telephony_when_the_slave_is_unreachable(self):
        self.assertEqual(self.run_guard("", rc=255), 0)
        self.assertIn("unreachable", self.recorded()["reason"])
        self.assertEqual(self.sip_asked, [], "nothing says the slave was in charge: its SIP is not asked")

    def test_a_master_in_charge_starts_even_when_a_slave_that_does_not_tell_its_state_answers_sip(self):
        # A new slave being installed runs telephony before its apply holds it back.
        self.was("released")
        self.assertEqual(self.run_guard("", rc=255, slave_sip=(True, "SIP/2.0 200 OK")), 0)
        self.assertEqual(self.sip_asked, [])

    def test_gives_up_on_a_silent_slave_within_its_timeout(self):
        t0 = time.monotonic()
        self.assertEqual(self.run_guard({"state": "active"}, sleep=5), 0)
        self.assertLess(time.monotonic() - t0, 4)

    def test_a_held_or_fenced_master_holds_while_a_slave_that_does_not_tell_its_state_answers_sip(self):
        # A slave in charge that logs in too slowly (a loaded machine), or
        # just after the master's link came back, still carries the calls.
        answering = (True, "SIP/2.0 200 OK")
        self.was("held")
        self.assertEqual(self.run_guard({"state": "active"}, sleep=5, slave_sip=answering), 1)
        self.assertEqual(self.recorded()["state"], "held")
        self.assertIn("did not tell its state (no answer within 1 s); this master was held and the slave's SIP still answers",
                      self.recorded()["reason"])
        self.assertEqual(self.sip_asked, [mock.call("198.18.0.12", 5060, 1.0)])
        self.was("fenced")
        self.assertEqual(self.run_guard("", rc=255, slave_sip=answering), 1)
        self.assertIn("this master was fenced", self.recorded()["reason"])

    def test_a_held_master_starts_when_the_slave_neither_tells_its_state_nor_answers_sip(self):
        self.was("held")
        self.assertEqual(self.run_guard("", rc=255), 0)
        self.assertIn("unreachable", self.recorded()["reason"])
        self.assertIn("its SIP is silent", self.recorded()["reason"])

    def test_asks_the_slaves_sip_only_when_its_state_is_unknown(self):
        self.assertEqual(self.run_guard({"state": "standby"}, slave_sip=(True, "SIP/2.0 200 OK")), 0)
        self.assertEqual(self.sip_asked, [])

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


class MasterWatch(unittest.TestCase):
    """xivo-ha-guard watch: the master stands down or fences itself, on a fake clock."""

    WITNESS = "198.18.0.1"

    def build(self, slave_up, witness_up=lambda t: True, slave_state="standby", witness=WITNESS,
              running=True, saved_state=None, slave_sip=None, ask_fails=False):
        from fakes import FakeClock, RecordingRunner
        self.tmp = temp_dir(self)
        self.clock = FakeClock()
        state_file = os.path.join(self.tmp, "monitor-state.json")
        if saved_state:
            with open(state_file, "w", encoding="utf-8") as f:
                json.dump({"state": saved_state}, f)
        config_file = os.path.join(self.tmp, "cluster.json")
        with open(config_file, "w", encoding="utf-8") as f:
            json.dump({"node": {"name": "master", "role": "master", "address": "198.18.0.11"},
                       "peer": {"name": "slave", "role": "slave", "address": "198.18.0.12"},
                       "monitor": {"profile": "fast", **({"witness": witness} if witness else {})},
                       "paths": {"state_file": state_file, "paused_file": os.path.join(self.tmp, "paused.json")},
                       "guard": {"timeout": 1, "watch_interval": 1, "fence_after": 3}}, f)
        config = lib.load_config(config_file)
        self.running = running
        self.runner = RecordingRunner(self.clock)

        def run(argv, timeout):
            result = self.runner(argv, timeout)
            if argv[1] in ("stop", "restart"):
                self.running = False
            return result

        def ping(address):
            return slave_up(self.clock.t) if address == "198.18.0.12" else witness_up(self.clock.t)

        self.asked = []

        def ask():
            self.asked.append(self.clock.t)
            if ask_fails:
                return None, "no answer within 1 s"
            return {"state": slave_state(self.clock.t) if callable(slave_state) else slave_state}, ""

        def sip(address):
            # By default the slave's SIP answers exactly while it is in charge, as on a real pair.
            if slave_sip is not None:
                return slave_sip(self.clock.t)
            state = slave_state(self.clock.t) if callable(slave_state) else slave_state
            return slave_up(self.clock.t) and state in ("active", "failing-back")

        self.watch = guard.Watch(config, self.clock, ping=ping, ask=ask, run=run,
                                 telephony_running=lambda: self.running, sip_answers=sip)
        self.state_file = state_file

    def run_for(self, seconds):
        while self.clock.t < seconds:
            self.watch.tick()
            self.clock.sleep(1)

    def verbs(self):
        return [(t, argv[1]) for t, argv in self.runner.calls]

    def test_a_master_cut_off_from_slave_and_witness_stops_its_telephony_after_fence_after(self):
        self.build(slave_up=lambda t: t < 10, witness_up=lambda t: t < 10)
        self.run_for(30)
        self.assertEqual(self.verbs(), [(13, "stop")])
        with open(self.state_file, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["state"], "fenced")

    def test_a_fenced_master_starts_its_telephony_through_the_guard_when_contact_returns(self):
        self.build(slave_up=lambda t: t < 10 or t >= 20, witness_up=lambda t: t < 10 or t >= 20)
        self.run_for(30)
        self.assertEqual(self.verbs(), [(13, "stop"), (20, "start")])

    def test_a_fenced_master_stays_fenced_across_a_watch_restart(self):
        self.build(slave_up=lambda t: t >= 5, witness_up=lambda t: False, running=False, saved_state="fenced")
        self.run_for(10)
        self.assertEqual(self.verbs(), [(5, "start")])

    def test_a_master_that_reaches_the_witness_never_fences_when_only_the_slave_is_gone(self):
        self.build(slave_up=lambda t: t < 10)
        self.run_for(60)
        self.assertEqual(self.verbs(), [])

    def test_without_a_witness_the_master_never_fences(self):
        self.build(slave_up=lambda t: t < 10, witness_up=lambda t: False, witness=None)
        self.run_for(60)
        self.assertEqual(self.verbs(), [])

    def test_a_short_isolation_below_fence_after_does_not_fence(self):
        self.build(slave_up=lambda t: not (10 <= t < 12), witness_up=lambda t: not (10 <= t < 12))
        self.run_for(30)
        self.assertEqual(self.verbs(), [])

    def test_a_master_running_telephony_while_the_slave_is_in_charge_stands_down_through_its_guard(self):
        self.build(slave_up=lambda t: True, slave_state=lambda t: "active" if t >= 5 else "standby")
        self.run_for(10)
        self.assertEqual(self.verbs(), [(5, "restart")])

    def test_the_slave_is_asked_over_ssh_only_when_its_sip_answers_or_once_a_minute(self):
        self.build(slave_up=lambda t: True, slave_state=lambda t: "active" if t >= 100 else "standby")
        self.run_for(110)
        # Once at the start, once a minute later, then when the slave's SIP answers (it took over at 100).
        self.assertEqual(self.asked, [0, 60, 100])
        self.assertEqual(self.verbs(), [(100, "restart")])

    def test_a_slave_in_charge_whose_sip_is_silent_is_still_found_by_the_periodic_ask(self):
        self.build(slave_up=lambda t: True, slave_state=lambda t: "active" if t >= 5 else "standby", slave_sip=lambda t: False)
        self.run_for(70)
        self.assertEqual(self.verbs(), [(60, "restart")])

    def test_a_slave_that_does_not_tell_its_state_never_takes_a_running_master_down_even_while_its_sip_answers(self):
        # A new slave being installed: it runs telephony (SIP answers) and
        # cannot be asked until its apply; the master carries the calls.
        self.build(slave_up=lambda t: True, ask_fails=True, slave_sip=lambda t: True)
        self.run_for(10)
        self.assertEqual(self.asked, list(range(10)))
        self.assertEqual(self.verbs(), [])

    def test_a_paused_cluster_gets_no_fencing_from_the_watch(self):
        self.build(slave_up=lambda t: t < 10, witness_up=lambda t: t < 10)
        with open(os.path.join(self.tmp, "paused.json"), "w", encoding="utf-8") as f:
            json.dump({"by": "ops", "reason": "network work"}, f)
        self.run_for(30)
        self.assertEqual(self.verbs(), [])

    def test_a_master_whose_telephony_is_down_does_nothing(self):
        self.build(slave_up=lambda t: False, witness_up=lambda t: False, running=False)
        self.run_for(30)
        self.assertEqual(self.verbs(), [])


if __name__ == "__main__":
    unittest.main()
