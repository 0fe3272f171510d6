"""The real SIP probe on loopback, configuration errors, the state file and the HA lock."""

from __future__ import annotations

import json
import os
import socket
import threading
import unittest
from unittest import mock

from fakes import HERE, FakeClock, lib, temp_dir


class SipResponder:
    """A UDP server on 127.0.0.1 that answers OPTIONS like Asterisk would."""

    def __init__(self, answer=lambda request: b"SIP/2.0 200 OK\r\n" + request.split(b"\r\n", 1)[1]):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.requests: list[bytes] = []
        self.closed = False
        self.sock.settimeout(0.05)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.closed:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.requests.append(data)
            reply = self.answer(data)
            if reply:
                self.sock.sendto(reply, peer)

    def close(self):
        if not self.closed:
            self.closed = True
            self.thread.join()
            self.sock.close()


class SipProbe(unittest.TestCase):
    def responder(self, **kwargs):
        r = SipResponder(**kwargs)
        self.addCleanup(r.close)
        return r

    def test_an_answering_sip_stack_is_up(self):
        r = self.responder()
        ok, detail = lib.sip_options("127.0.0.1", r.port, 1)
        self.assertTrue(ok, detail)
        self.assertEqual(detail, "SIP/2.0 200 OK")
        request = r.requests[0].decode()
        self.assertTrue(request.startswith(f"OPTIONS sip:127.0.0.1:{r.port} SIP/2.0\r\n"))
        for header in ("Via: SIP/2.0/UDP 127.0.0.1:", "Call-ID: ", "CSeq: 1 OPTIONS", "Max-Forwards: 70", "Content-Length: 0"):
            self.assertIn(header, request)
        self.assertTrue(request.endswith("\r\n\r\n"))

    def test_any_sip_status_counts_as_up(self):
        r = self.responder(answer=lambda req: b"SIP/2.0 404 Not Found\r\n" + req.split(b"\r\n", 1)[1])
        self.assertTrue(lib.sip_options("127.0.0.1", r.port, 1)[0])

    def test_nothing_listening_is_down_without_waiting_the_timeout(self):
        r = self.responder()
        port = r.port
        r.close()
        ok, detail = lib.sip_options("127.0.0.1", port, 5)
        self.assertFalse(ok)
        self.assertIn("unreachable", detail)

    def test_a_silent_port_is_down_after_the_timeout(self):
        r = self.responder(answer=lambda req: None)
        ok, detail = lib.sip_options("127.0.0.1", r.port, 0.3)
        self.assertFalse(ok)
        self.assertIn("no SIP answer", detail)

    def test_a_lost_request_is_retransmitted_within_the_timeout(self):
        # A lossy link: the first three datagrams are lost.
        r = self.responder(answer=lambda req: None if len(r.requests) <= 3 else b"SIP/2.0 200 OK\r\n" + req.split(b"\r\n", 1)[1])
        ok, detail = lib.sip_options("127.0.0.1", r.port, 1)
        self.assertTrue(ok, detail)
        self.assertEqual(len({req.split(b"Call-ID: ")[1].split(b"\r\n")[0] for req in r.requests}), 1, "retransmissions keep the Call-ID")

    def test_an_answer_to_another_request_does_not_count(self):
        r = self.responder(answer=lambda req: b"SIP/2.0 200 OK\r\nCall-ID: someone-else\r\n\r\n")
        self.assertFalse(lib.sip_options("127.0.0.1", r.port, 0.3)[0])

    def test_telephony_ready_when_the_masters_status_says_its_guard_holds_telephony(self):
        # Nothing listens on the SIP port; the master's forced command answers
        # {"monitor": <its guard's state>, "replication": …}.
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        silent.close()
        config = lib.parse_config({"node": {"address": "127.0.0.1"}, "peer": {"address": "127.0.0.1"},
                                   "monitor": {"sip_port": port, "probe_timeout": 1},
                                   "ssh": {"command": [os.path.join(HERE, "fake-slave-ssh")]}})
        prober = lib.RealProber(config)
        for status, ready in (({"monitor": {"state": "held"}, "replication": {}}, True),
                              ({"monitor": {"state": "released"}, "replication": {}}, False),
                              ({"state": "held"}, True)):
            with mock.patch.dict(os.environ, {"FAKE_STATUS": json.dumps(status), "FAKE_SSH_RC": "0", "FAKE_SLEEP": "0"}):
                result = prober.probe_master(["telephony-ready"])
            self.assertEqual(result.ok("telephony-ready"), ready, status)

    def test_ping_of_loopback_answers(self):
        self.assertTrue(lib.ping("127.0.0.1", 1))


class Configuration(unittest.TestCase):
    def test_profiles_resolve_to_numbers_and_explicit_keys_override(self):
        c = lib.parse_config({"node": {"address": "a"}, "peer": {"address": "b"},
                              "monitor": {"profile": "fast", "stable_period": 30}})
        self.assertEqual((c.monitor["interval"], c.monitor["rounds_to_takeover"], c.monitor["stable_period"]), (1, 3, 30))
        d = lib.parse_config({"node": {"address": "a"}, "peer": {"address": "b"}})
        self.assertEqual((d.monitor["interval"], d.monitor["probes_per_round"], d.monitor["probe_spacing"]), (60, 3, 10))

    def test_every_problem_is_reported_at_once_with_its_key(self):
        with self.assertRaises(lib.ConfigError) as caught:
            lib.parse_config({"node": {}, "peer": {"address": "b"},
                              "monitor": {"profile": "turbo", "interval": "soon", "probes_per_round": 0},
                              "actions": {"takeover": [["ok"], "xivo-service start"], "explode": []}})
        message = str(caught.exception)
        for expected in ("node.address: required", "monitor.profile: expected one of default, fast",
                         "monitor.interval: expected a number", "monitor.probes_per_round: expected a whole number",
                         "actions.takeover[1]: expected a non-empty list of strings", "actions.explode: unknown phase"):
            self.assertIn(expected, message)

    def test_invalid_json_is_located(self):
        tmp = temp_dir(self)
        path = os.path.join(tmp, "cluster.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write('{"node": {\n  "address": }')
        with self.assertRaises(lib.ConfigError) as caught:
            lib.load_config(path)
        self.assertIn(f"{path}:2:", str(caught.exception))


class StateFile(unittest.TestCase):
    def test_replaces_the_file_whole_and_leaves_no_temporary_file(self):
        tmp = temp_dir(self)
        path = os.path.join(tmp, "monitor-state.json")
        lib.write_json_atomically(path, {"state": "standby"})
        lib.write_json_atomically(path, {"state": "active"})
        with open(path, encoding="utf-8") as f:
            self.assertEqual(json.load(f), {"state": "active"})
        self.assertEqual(os.listdir(tmp), ["monitor-state.json"])
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)

    def test_a_failed_write_keeps_the_previous_file(self):
        tmp = temp_dir(self)
        path = os.path.join(tmp, "monitor-state.json")
        lib.write_json_atomically(path, {"state": "standby"})
        with self.assertRaises(TypeError):
            lib.write_json_atomically(path, {"state": object()})
        with open(path, encoding="utf-8") as f:
            self.assertEqual(json.load(f), {"state": "standby"})
        self.assertEqual(os.listdir(tmp), ["monitor-state.json"])

    def test_a_crash_between_write_and_rename_never_exposes_half_a_file(self):
        tmp = temp_dir(self)
        path = os.path.join(tmp, "monitor-state.json")
        lib.write_json_atomically(path, {"state": "standby"})
        with mock.patch.object(lib.os, "replace", side_effect=OSError("power cut")):
            with self.assertRaises(OSError):
                lib.write_json_atomically(path, {"state": "active", "pad": "x" * 100000})
        with open(path, encoding="utf-8") as f:
            self.assertEqual(json.load(f), {"state": "standby"})


class HaLock(unittest.TestCase):
    def test_a_busy_lock_is_reported_after_the_timeout_instead_of_blocking(self):
        import fcntl
        tmp = temp_dir(self)
        path = os.path.join(tmp, "ha.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, fd)
        fcntl.flock(fd, fcntl.LOCK_EX)
        clock = FakeClock()
        with lib.ha_lock(path, 10, clock) as locked:
            self.assertFalse(locked)
        self.assertGreaterEqual(clock.t, 10)
        fcntl.flock(fd, fcntl.LOCK_UN)
        with lib.ha_lock(path, 10, clock) as locked:
            self.assertTrue(locked)


if __name__ == "__main__":
    unittest.main()
