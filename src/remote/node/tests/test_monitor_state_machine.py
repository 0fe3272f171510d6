"""The monitor's decisions on a fake clock: when it takes over, when it
fails back, and that it acts on transitions only."""

from __future__ import annotations

import json
import os
import unittest

from fakes import FakeClock, RecordingRunner, ScriptedMaster, lib, make_config, run_until, temp_dir


def down_between(start: float, end: float = float("inf")):
    return lambda t: not (start <= t < end)


class MonitorCase(unittest.TestCase):
    def build(self, master_sip, monitor=None, icmp=None, ready=None, witness=lambda t: True,
              rc=lambda argv: 0, telephony_running=False, actions=None):
        self.tmp = temp_dir(self)
        self.clock = FakeClock()
        self.config = make_config(self.tmp, monitor, actions)
        self.master = ScriptedMaster(self.clock, master_sip, icmp=icmp, ready=ready, witness=witness)
        self.runner = RecordingRunner(self.clock, rc, telephony=telephony_running)
        self.monitor = lib.Monitor(self.config, self.master, self.clock, run=self.runner,
                                   telephony_running=lambda: self.runner.telephony)
        self.monitor.start()
        return self.monitor

    def saved(self):
        with open(self.config.paths["state_file"], encoding="utf-8") as f:
            return json.load(f)

    def takeover_times(self):
        return [t for t, argv in self.runner.calls if argv == ["enable"]]

    def transitions(self):
        return [(h["from"], h["to"]) for h in self.saved()["history"]]


class Takeover(MonitorCase):
    def test_default_profile_takes_over_after_one_round_with_every_probe_failed(self):
        self.build(down_between(30))
        run_until(self.monitor, self.clock, 600)
        # Round at 0 passes; round at 60 probes 60, 70, 80: all fail -> takeover at 80.
        self.assertEqual(self.takeover_times(), [80])
        self.assertEqual(self.saved()["state"], lib.ACTIVE)
        self.assertEqual([a for t, a in self.master.attempts if 60 <= t <= 80], [{"icmp": False, "sip": False}] * 3)

    def test_default_profile_waits_for_rounds_to_takeover_failed_rounds(self):
        self.build(down_between(30), monitor={"rounds_to_takeover": 2})
        run_until(self.monitor, self.clock, 600)
        self.assertEqual(self.takeover_times(), [140])

    def test_fast_profile_takes_over_after_three_consecutive_failed_probes(self):
        self.build(down_between(10.5), monitor={"profile": "fast"})
        run_until(self.monitor, self.clock, 60)
        self.assertEqual(self.takeover_times(), [13])

    def test_fast_profile_takeover_within_ten_seconds_when_failing_probes_last_their_timeout(self):
        self.build(down_between(10.5), monitor={"profile": "fast"})
        self.master.probe_duration = 0.0
        original = self.master.probe_master

        def slow_when_down(kinds):
            result = original(kinds)
            if not result.ok("sip"):
                self.clock.sleep(1.0)  # a failing probe waits probe_timeout
            return result

        self.master.probe_master = slow_when_down
        run_until(self.monitor, self.clock, 60)
        self.assertEqual(len(self.takeover_times()), 1)
        self.assertLess(self.takeover_times()[0] - 10.5, 10)

    def test_fast_profile_needs_more_failures_after_the_link_recovered_from_an_outage(self):
        # A 2-probe outage the master came back from (a lossy link's ARP gap), then a
        # real failure: takeover needs 3 + 2 failed probes instead of 3.
        self.build(lambda t: not (20 <= t < 22 or t >= 60.5), monitor={"profile": "fast"})
        run_until(self.monitor, self.clock, 120)
        self.assertEqual(self.takeover_times(), [65])

    def test_a_monitor_restart_keeps_the_recovered_outage_it_damps_with(self):
        # The same flap and failure as above, with the monitor restarted in between
        # (an apply that changed its settings, a crash): still 3 + 2 failed probes.
        self.build(lambda t: not (20 <= t < 22 or t >= 60.5), monitor={"profile": "fast"})
        run_until(self.monitor, self.clock, 40)
        self.monitor = lib.Monitor(self.config, self.master, self.clock, run=self.runner,
                                   telephony_running=lambda: self.runner.telephony)
        self.monitor.start()
        run_until(self.monitor, self.clock, 120)
        self.assertEqual(self.takeover_times(), [65])

    def test_a_recovered_outage_never_delays_takeover_beyond_max_rounds_to_takeover(self):
        # Outages of 2, 4 and 6 probes, each recovered, raise the count to 3 + 6, capped at 8.
        gaps = [(20, 22), (30, 34), (40, 46)]
        self.build(lambda t: not (any(a <= t < b for a, b in gaps) or t >= 60.5), monitor={"profile": "fast"})
        run_until(self.monitor, self.clock, 120)
        self.assertEqual(self.takeover_times(), [68])

    def test_a_recovered_outage_is_forgotten_after_flap_memory(self):
        self.build(lambda t: not (20 <= t < 22 or t >= 400.5), monitor={"profile": "fast", "flap_memory": 300})
        run_until(self.monitor, self.clock, 460)
        self.assertEqual(self.takeover_times(), [403])

    def test_no_takeover_on_a_flapping_link_whose_outages_stay_below_the_damped_count(self):
        # Outages of 2, 4, 6 and 7 probes, the link recovering each time: each stays
        # below the count the longest earlier one raised (3+2, 3+4, then the cap 8).
        gaps = [(10, 12), (30, 34), (50, 56), (70, 77)]
        self.build(lambda t: not any(a <= t < b for a, b in gaps), monitor={"profile": "fast"})
        run_until(self.monitor, self.clock, 120)
        self.assertEqual(self.takeover_times(), [])

    def test_no_takeover_while_any_probe_of_each_round_succeeds_on_a_lossy_link(self):
        # Only the last probe of each round gets through: 2 in 3 lost.
        self.build(lambda t: t % 60 == 20)
        run_until(self.monitor, self.clock, 4 * 3600)
        self.assertEqual(self.takeover_times(), [])
        self.assertEqual(self.transitions(), [(None, "standby")])

    def test_no_takeover_on_a_lossy_fast_link_that_never_loses_three_in_a_row(self):
        answered = iter(int(c) for c in "001" * 100_000)
        self.build(lambda t: bool(next(answered)), monitor={"profile": "fast"})
        run_until(self.monitor, self.clock, 900)
        self.assertEqual(self.takeover_times(), [])

    def test_sip_down_while_ping_answers_takes_over(self):
        self.build(down_between(30), icmp=lambda t: True)
        run_until(self.monitor, self.clock, 300)
        self.assertEqual(self.takeover_times(), [80])
        self.assertIn("sip failed", self.saved()["reason"])

    def test_down_probe_icmp_keeps_xivos_ping_only_behaviour(self):
        self.build(down_between(30), icmp=lambda t: True, monitor={"down_probe": "icmp"})
        run_until(self.monitor, self.clock, 300)
        self.assertEqual(self.takeover_times(), [])

    def test_isolated_slave_without_witness_stays_standby_and_takes_over_once_the_witness_answers(self):
        self.build(down_between(30), monitor={"witness": "198.18.0.1"}, witness=lambda t: t >= 400)
        run_until(self.monitor, self.clock, 390)
        self.assertEqual(self.takeover_times(), [])
        self.assertEqual(self.saved()["state"], lib.STANDBY)
        self.assertEqual(self.saved()["witness"]["ok"], False)
        run_until(self.monitor, self.clock, 600)
        self.assertEqual(self.takeover_times(), [440])

    def test_isolated_slave_is_still_standby_when_its_link_returns(self):
        cut = down_between(30, 500)
        self.build(cut, monitor={"witness": "198.18.0.1"}, witness=cut)
        run_until(self.monitor, self.clock, 900)
        self.assertEqual(self.takeover_times(), [])
        self.assertEqual(self.saved()["state"], lib.STANDBY)
        self.assertEqual(self.saved()["counters"]["failed_rounds"], 0)

    def test_a_slow_first_probe_after_isolation_does_not_complete_the_isolated_count(self):
        # Fast profile: isolated from 10 to 40; the first probe after the link
        # returns fails (neighbour discovery), the next ones pass.
        cut = down_between(10, 41)
        self.build(cut, monitor={"profile": "fast", "witness": "198.18.0.1"}, witness=down_between(10, 40))
        run_until(self.monitor, self.clock, 120)
        self.assertEqual(self.takeover_times(), [])
        self.assertEqual(self.saved()["state"], lib.STANDBY)

    def test_no_partial_count_built_in_isolation_survives_the_link_returning(self):
        # Isolations of every length modulo rounds_to_takeover (3 in fast),
        # then two slow probes as the link returns: never a takeover.
        for end in (39, 40, 41):
            with self.subTest(isolated_until=end):
                cut = down_between(10, end + 2)
                self.build(cut, monitor={"profile": "fast", "witness": "198.18.0.1"}, witness=down_between(10, end))
                run_until(self.monitor, self.clock, 120)
                self.assertEqual(self.takeover_times(), [])
                self.assertEqual(self.saved()["state"], lib.STANDBY)

    def test_takeover_actions_run_once_in_order_while_the_master_stays_down(self):
        self.build(down_between(30))
        run_until(self.monitor, self.clock, 3600)
        self.assertEqual(self.runner.names(), ["snapshot", "enable", "start", "relog"])
        self.assertEqual(self.transitions(), [(None, "standby"), ("standby", "active")])

    def test_paused_monitor_probes_and_records_but_takes_no_action(self):
        self.build(down_between(30))
        with open(self.config.paths["paused_file"], "w", encoding="utf-8") as f:
            f.write("{}")
        run_until(self.monitor, self.clock, 600)
        self.assertEqual(self.runner.calls, [])
        saved = self.saved()
        self.assertEqual(saved["state"], lib.STANDBY)
        self.assertTrue(saved["paused"])
        self.assertIn("would take over", saved["pending"])
        self.assertFalse(saved["last_probe"]["passed"]["sip"])
        os.unlink(self.config.paths["paused_file"])
        run_until(self.monitor, self.clock, 700)
        self.assertEqual(len(self.takeover_times()), 1)

    def test_state_is_active_on_disk_before_the_first_takeover_command_runs(self):
        seen = []

        def rc(argv):
            seen.append(self.saved()["state"])
            return 0

        self.build(down_between(30), rc=rc)
        run_until(self.monitor, self.clock, 200)
        self.assertEqual(set(seen), {lib.ACTIVE})

    def test_failing_takeover_command_is_retried_reported_and_does_not_undo_the_takeover(self):
        self.build(down_between(30), rc=lambda argv: 1 if argv == ["start"] else 0)
        run_until(self.monitor, self.clock, 90)
        self.assertEqual(self.runner.names(), ["snapshot", "enable", "start", "start", "start", "relog"])
        saved = self.saved()
        self.assertEqual(saved["state"], lib.ACTIVE)
        self.assertEqual([(a["argv"], a["rc"], a["attempts"]) for a in saved["failed_actions"]], [(["start"], 1, 3)])


class SlaveInCharge(MonitorCase):
    def test_telephony_found_stopped_on_the_slave_in_charge_is_started_again(self):
        # Takeover at 80; then an apply planned while the slave was standby stops it.
        self.build(down_between(30))
        run_until(self.monitor, self.clock, 200)
        self.assertTrue(self.runner.telephony)
        self.runner.telephony = False
        stopped_at = self.clock.t
        run_until(self.monitor, self.clock, 400)
        restarts = [t for t, argv in self.runner.calls if t >= stopped_at and argv == ["start"]]
        self.assertEqual(len(restarts), 1)
        # Within one active probe interval (10 s in the default profile).
        self.assertLessEqual(restarts[0] - stopped_at, 10)
        self.assertEqual([argv for t, argv in self.runner.calls if t >= stopped_at], [["start"], ["relog"]])
        saved = self.saved()
        self.assertEqual(saved["state"], lib.ACTIVE)
        self.assertEqual(saved["counters"]["telephony_restarts"], 1)

    def test_a_restart_that_keeps_failing_is_retried_no_more_than_every_three_active_intervals(self):
        self.build(down_between(30))
        run_until(self.monitor, self.clock, 200)
        self.runner.rc = lambda argv: 1 if argv == ["start"] else 0
        self.runner.telephony = False
        stopped_at = self.clock.t
        run_until(self.monitor, self.clock, stopped_at + 300)
        attempts = [t for t, argv in self.runner.calls if t >= stopped_at and argv == ["relog"]]
        gaps = [b - a for a, b in zip(attempts, attempts[1:])]
        self.assertGreaterEqual(len(attempts), 5)
        self.assertTrue(all(g >= 30 for g in gaps), gaps)
        self.assertEqual(self.saved()["state"], lib.ACTIVE)

    def test_a_paused_slave_in_charge_only_says_its_telephony_is_stopped(self):
        self.build(down_between(30))
        run_until(self.monitor, self.clock, 200)
        with open(self.config.paths["paused_file"], "w", encoding="utf-8") as f:
            f.write("{}")
        self.runner.telephony = False
        stopped_at = self.clock.t
        run_until(self.monitor, self.clock, 400)
        self.assertEqual([argv for t, argv in self.runner.calls if t >= stopped_at], [])
        self.assertIn("would start telephony again", self.saved()["pending"])
        # Resumed: started at the next probe, and the note goes.
        os.unlink(self.config.paths["paused_file"])
        run_until(self.monitor, self.clock, 420)
        self.assertTrue(self.runner.telephony)
        self.assertNotIn("pending", self.saved())

    def test_the_takeover_itself_is_not_followed_by_a_restart(self):
        self.build(down_between(30))
        run_until(self.monitor, self.clock, 600)
        self.assertEqual(self.runner.names(), ["snapshot", "enable", "start", "relog"])
        self.assertEqual(self.saved()["counters"]["telephony_restarts"], 0)


class Failback(MonitorCase):
    def test_fails_back_only_after_the_master_passed_every_probe_for_the_stable_period(self):
        self.build(down_between(30, 1000), monitor={"stable_period": 300})
        run_until(self.monitor, self.clock, 1290)
        self.assertNotIn("stop", self.runner.names())
        run_until(self.monitor, self.clock, 1400)
        stops = [t for t, argv in self.runner.calls if argv == ["stop"]]
        self.assertEqual(len(stops), 1)
        self.assertGreaterEqual(stops[0], 1300)
        self.assertLessEqual(stops[0], 1300 + 10)
        self.assertEqual(self.runner.names()[4:], ["copyback", "stop", "disable", "resume-master"])
        self.assertEqual(self.transitions()[1:], [("standby", "active"), ("active", "failing-back"), ("failing-back", "standby")])

    def test_every_ready_probe_must_pass_sip_answering_without_ping_is_not_enough(self):
        self.build(down_between(30, 1000), icmp=down_between(30, 2000), monitor={"stable_period": 120})
        run_until(self.monitor, self.clock, 2200)
        stops = [t for t, argv in self.runner.calls if argv == ["stop"]]
        self.assertEqual(len(stops), 1)
        self.assertGreaterEqual(stops[0], 2120 - 10)

    def test_a_flapping_master_restarts_the_stable_period(self):
        flaps = [(1000, 1200), (1205, 1215), (1400, 1410)]

        def up(t):
            return t >= flaps[0][0] and not any(a <= t < b for a, b in flaps[1:])

        self.build(lambda t: t < 30 or up(t), monitor={"stable_period": 300})
        run_until(self.monitor, self.clock, 3000)
        stops = [t for t, argv in self.runner.calls if argv == ["stop"]]
        self.assertEqual(len(stops), 1)
        self.assertGreaterEqual(stops[0], 1410 + 300)

    def test_failback_actions_run_once_and_the_slave_then_watches_again(self):
        self.build(down_between(30, 1000), monitor={"stable_period": 120})
        run_until(self.monitor, self.clock, 5 * 3600)
        self.assertEqual(self.runner.names().count("stop"), 1)
        self.assertEqual(self.runner.names().count("enable"), 1)
        self.assertEqual(self.saved()["state"], lib.STANDBY)
        self.assertEqual(self.saved()["counters"], {"failed_rounds": 0, "healthy_since": None, "takeovers": 1, "failbacks": 1,
                                                   "telephony_restarts": 0})

    def test_no_new_takeover_while_the_master_restarts_its_telephony_after_failback(self):
        # Master reachable from 1000, but its SIP only answers 60 s after the slave stood down.
        self.build(lambda t: t < 30 or t >= 1000, monitor={"profile": "fast", "stable_period": 60,
                                                        "ready_probes": ["icmp"], "failback_grace": 90})
        original = self.master.sip
        self.master.sip = lambda t: original(t) and not (1000 <= t < 1120)
        run_until(self.monitor, self.clock, 1500)
        self.assertEqual(self.runner.names().count("enable"), 1)
        self.assertEqual(self.saved()["state"], lib.STANDBY)

    def test_paused_monitor_does_not_fail_back(self):
        self.build(down_between(30, 1000), monitor={"stable_period": 120})
        run_until(self.monitor, self.clock, 500)
        with open(self.config.paths["paused_file"], "w", encoding="utf-8") as f:
            f.write("{}")
        run_until(self.monitor, self.clock, 3000)
        self.assertNotIn("stop", self.runner.names())
        self.assertIn("would fail back", self.saved()["pending"])

    def test_copy_back_failure_is_recorded_and_failback_still_completes(self):
        def rc(argv):
            if argv == ["copyback"]:
                with open(self.config.paths["copyback_result"], "w", encoding="utf-8") as f:
                    json.dump({"ok": False, "unsent_user_settings": [{"table": "userfeatures"}]}, f)
                return 1
            return 0

        self.build(down_between(30, 1000), monitor={"stable_period": 120}, rc=rc)
        run_until(self.monitor, self.clock, 1500)
        saved = self.saved()
        self.assertEqual(saved["state"], lib.STANDBY)
        self.assertEqual([a["argv"] for a in saved["failed_actions"]], [["copyback"]])
        self.assertEqual(saved["failed_actions"][0]["attempts"], 3)
        self.assertEqual(saved["copyback"]["unsent_user_settings"], [{"table": "userfeatures"}])
        self.assertIn("stop", self.runner.names())


class StartRule(MonitorCase):
    def write_saved(self, state):
        self.tmp = temp_dir(self)
        config = make_config(self.tmp)
        lib.write_json_atomically(config.paths["state_file"], {
            "state": state, "since": "2027-01-01T00:00:00Z", "active_since": "2027-01-01T00:00:00Z",
            "history": [{"at": "2027-01-01T00:00:00Z", "from": "standby", "to": state, "reason": "x"}],
            "counters": {"takeovers": 4, "failbacks": 3}})
        return config

    def start_with(self, state, running):
        config = self.write_saved(state)
        clock = FakeClock()
        monitor = lib.Monitor(config, ScriptedMaster(clock, lambda t: False), clock,
                              run=RecordingRunner(clock), telephony_running=lambda: running)
        monitor.start()
        return monitor

    def test_stays_active_when_saved_active_and_telephony_runs(self):
        m = self.start_with(lib.ACTIVE, True)
        self.assertEqual(m.state["state"], lib.ACTIVE)
        self.assertEqual(m.state["active_since"], "2027-01-01T00:00:00Z")
        self.assertEqual(m.state["counters"]["takeovers"], 4)

    def test_an_interrupted_failback_resumes_as_active(self):
        self.assertEqual(self.start_with(lib.FAILING_BACK, True).state["state"], lib.ACTIVE)

    def test_starts_standby_when_telephony_is_not_running(self):
        m = self.start_with(lib.ACTIVE, False)
        self.assertEqual(m.state["state"], lib.STANDBY)
        self.assertIn("not running", m.state["reason"])

    def test_warns_when_a_standby_slave_runs_telephony(self):
        m = self.start_with(lib.STANDBY, True)
        self.assertEqual(m.state["state"], lib.STANDBY)
        self.assertTrue(m.state["warnings"])

    def test_keeps_only_the_last_twenty_transitions(self):
        m = self.start_with(lib.STANDBY, False)
        for i in range(30):
            m.transition(lib.ACTIVE if i % 2 else lib.STANDBY, f"t{i}")
        self.assertEqual(len(m.state["history"]), 20)
        self.assertEqual(m.state["history"][-1]["reason"], "t29")


if __name__ == "__main__":
    unittest.main()
