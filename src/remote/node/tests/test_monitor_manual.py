"""Manual failover and failback (`xivo-ha failover|failback`): the daemon
performs requests written by `xivo-ha-monitor request`, refuses them when
the target is not ready, and a manual failover is never undone automatically."""

from __future__ import annotations

import json
import os
import unittest

from fakes import FakeClock, RecordingRunner, ScriptedMaster, lib, make_config, run_until, temp_dir

ALWAYS_UP = lambda t: True  # noqa: E731


class ManualCase(unittest.TestCase):
    def build(self, master_sip=ALWAYS_UP, icmp=None, monitor=None, telephony_running=False):
        self.tmp = temp_dir(self)
        self.clock = FakeClock()
        self.config = make_config(self.tmp, monitor)
        self.master = ScriptedMaster(self.clock, master_sip, icmp=icmp)
        self.runner = RecordingRunner(self.clock)
        self.monitor = lib.Monitor(self.config, self.master, self.clock, run=self.runner,
                                   telephony_running=lambda: telephony_running)
        self.monitor.start()

    def request_at(self, t, action, by="alice@laptop", request_id="r1"):
        """The operator's request lands at fake time t, in the middle of a wait."""
        plain_sleep = self.clock.sleep

        def sleep(seconds):
            before = self.clock.t
            plain_sleep(seconds)
            if before < t <= self.clock.t:
                self.request(action, by, request_id)

        self.clock.sleep = sleep

    def answered_at(self):
        return [t for t, kind in self.master.attempts]

    def request(self, action, by="alice@laptop", request_id="r1"):
        lib.write_json_atomically(self.config.paths["request_file"], {"id": request_id, "action": action, "by": by})

    def result(self):
        with open(self.config.paths["request_result"], encoding="utf-8") as f:
            return json.load(f)

    def saved(self):
        with open(self.config.paths["state_file"], encoding="utf-8") as f:
            return json.load(f)

    def commands(self):
        return [argv[0] for _, argv in self.runner.calls]


class ManualTakeover(ManualCase):
    def test_takes_over_at_once_with_a_healthy_master_and_logs_who_asked(self):
        self.build()
        self.request_at(20, "takeover")
        self.monitor.tick()  # a round at 0, then the default profile's 60 s wait ends at the request
        self.monitor.tick()
        self.assertLessEqual(self.clock.t, 20.25)
        self.assertEqual(self.saved()["state"], lib.ACTIVE)
        self.assertEqual(self.saved()["reason"], "manual failover by alice@laptop")
        self.assertEqual(self.saved()["manual"]["by"], "alice@laptop")
        self.assertEqual(self.commands(), ["snapshot", "enable", "start", "relog"])
        self.assertEqual(self.result()["id"], "r1")
        self.assertTrue(self.result()["ok"])
        self.assertFalse(os.path.exists(self.config.paths["request_file"]))

    def test_a_request_during_a_round_s_probe_spacing_is_served_without_waiting(self):
        self.build(master_sip=lambda t: t < 0.5)
        self.request_at(65, "takeover")
        # Round at 0 passes; round at 60: the attempt fails, the spacing wait sees the request.
        run_until(self.monitor, self.clock, 65.5)
        self.assertEqual(self.answered_at()[:2], [0, 60])
        self.assertEqual([t for t, argv in self.runner.calls if argv == ["enable"]], [65])
        self.assertEqual(self.saved()["state"], lib.ACTIVE)
        self.assertEqual(self.saved()["counters"]["takeovers"], 1)

    def test_refuses_a_takeover_when_already_active(self):
        self.build()
        self.monitor.transition(lib.ACTIVE, "earlier takeover")
        self.request("takeover")
        self.monitor.tick()
        self.assertFalse(self.result()["ok"])
        self.assertIn("not standby", self.result()["message"])
        self.assertEqual(self.commands(), [])

    def test_refuses_a_takeover_while_paused(self):
        self.build()
        with open(self.config.paths["paused_file"], "w", encoding="utf-8") as f:
            f.write("{}")
        self.request("takeover")
        self.monitor.tick()
        self.assertFalse(self.result()["ok"])
        self.assertIn("paused", self.result()["message"])
        self.assertEqual(self.saved()["state"], lib.STANDBY)

    def test_takes_over_on_request_while_paused_for_an_upgrade_with_switchover(self):
        self.build()
        with open(self.config.paths["paused_file"], "w", encoding="utf-8") as f:
            f.write('{"reason": "upgrade", "manual_switches": true}')
        self.request("takeover")
        self.monitor.tick()
        self.assertTrue(self.result()["ok"], self.result()["message"])
        self.assertEqual(self.saved()["state"], lib.ACTIVE)

    def test_refuses_an_unknown_request(self):
        self.build()
        self.request("reboot")
        self.monitor.tick()
        self.assertFalse(self.result()["ok"])
        self.assertIn("unknown request", self.result()["message"])

    def test_reports_failed_takeover_actions(self):
        self.build()
        self.runner.rc = lambda argv: 1 if argv == ["start"] else 0
        self.request("takeover")
        self.monitor.tick()
        self.assertFalse(self.result()["ok"])
        self.assertIn("start (rc 1)", self.result()["message"])
        self.assertEqual(self.saved()["state"], lib.ACTIVE)


class NoAutomaticFailbackAfterManualFailover(ManualCase):
    def test_stays_active_past_the_stable_period_while_the_failover_is_manual(self):
        self.build()
        self.request("takeover")
        self.monitor.tick()
        run_until(self.monitor, self.clock, 1000)
        self.assertEqual(self.saved()["state"], lib.ACTIVE)
        self.assertIn("until `xivo-ha failback`", self.saved()["pending"])
        self.assertNotIn("copyback", self.commands())

    def test_a_restarted_monitor_keeps_the_manual_flag(self):
        self.build(telephony_running=True)
        self.request("takeover")
        self.monitor.tick()
        again = lib.Monitor(self.config, self.master, self.clock, run=self.runner, telephony_running=lambda: True)
        again.start()
        run_until(again, self.clock, 1000)
        self.assertEqual(self.saved()["state"], lib.ACTIVE)
        self.assertEqual(self.saved()["manual"]["by"], "alice@laptop")

    def test_an_automatic_takeover_still_fails_back_by_itself(self):
        self.build(master_sip=lambda t: not (30 <= t < 200))
        run_until(self.monitor, self.clock, 600)
        self.assertEqual(self.saved()["counters"]["failbacks"], 1)
        self.assertNotIn("manual", self.saved())


class ManualFailback(ManualCase):
    def test_fails_back_at_once_copies_back_and_clears_the_manual_flag(self):
        self.build()
        self.request("takeover")
        self.monitor.tick()
        self.request_at(5, "failback", by="bob", request_id="r2")
        run_until(self.monitor, self.clock, 5.5)
        saved = self.saved()
        self.assertEqual(saved["state"], lib.STANDBY)
        self.assertNotIn("manual", saved)
        self.assertEqual([h["reason"] for h in saved["history"]][-2:], ["manual failback by bob", "failback done: the master resumes telephony"])
        self.assertEqual(self.commands()[-4:], ["copyback", "stop", "disable", "resume-master"])
        self.assertEqual(self.result()["id"], "r2")
        self.assertTrue(self.result()["ok"])

    def test_refuses_a_failback_when_the_master_does_not_answer(self):
        self.build(icmp=lambda t: False)
        self.request("takeover")
        self.monitor.tick()
        self.request("failback", request_id="r2")
        self.monitor.tick()
        self.assertFalse(self.result()["ok"])
        self.assertIn("does not answer", self.result()["message"])
        self.assertEqual(self.saved()["state"], lib.ACTIVE)
        self.assertNotIn("copyback", self.commands())

    def test_refuses_a_failback_in_standby(self):
        self.build()
        self.request("failback")
        self.monitor.tick()
        self.assertFalse(self.result()["ok"])
        self.assertIn("not active", self.result()["message"])


class RequestClient(ManualCase):
    def test_returns_the_daemon_s_result_for_its_own_request(self):
        self.build()

        class ServingClock(FakeClock):
            def sleep(inner, seconds):  # noqa: N805 - the daemon answers while the client waits
                super().sleep(seconds)
                if os.path.exists(self.config.paths["request_file"]):
                    self.monitor.tick()

        rc, result = lib.send_request(self.config, "takeover", "carol", timeout=60, pickup_timeout=5, clock=ServingClock())
        self.assertEqual(rc, 0)
        self.assertTrue(result["ok"])
        self.assertEqual(self.saved()["reason"], "manual failover by carol")

    def test_gives_up_and_withdraws_the_request_when_no_daemon_takes_it(self):
        self.build()
        rc, result = lib.send_request(self.config, "takeover", "carol", timeout=60, pickup_timeout=2, clock=FakeClock())
        self.assertEqual(rc, 3)
        self.assertIn("xivo-ha-monitor.service running", result["message"])
        self.assertFalse(os.path.exists(self.config.paths["request_file"]))
        self.monitor.tick()  # a daemon starting later does nothing
        self.assertEqual(self.saved()["state"], lib.STANDBY)


if __name__ == "__main__":
    unittest.main()
