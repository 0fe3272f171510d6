"""xivo-ha-copyback: a real rsync through a stand-in ssh, a stand-in psql."""

from __future__ import annotations

import json
import os
import time
import unittest
from unittest import mock

from fakes import HERE, lib, load_script, temp_dir


copyback = load_script("xivo-ha-copyback")

USERS = {
    "userfeatures": [
        {"id": 1, "uuid": "u-1", "enablednd": 0, "enableunc": 0, "destunc": "", "enablerna": 0, "destrna": "",
         "enablebusy": 0, "destbusy": "", "incallfilter": 0, "enablevoicemail": 1, "callrecord": 0},
        {"id": 2, "uuid": "u-2", "enablednd": 0, "enableunc": 0, "destunc": "", "enablerna": 0, "destrna": "",
         "enablebusy": 0, "destbusy": "", "incallfilter": 0, "enablevoicemail": 1, "callrecord": 0},
    ],
    "callfiltermember": [{"id": 7, "callfilterid": 1, "type": "user", "typeval": "2", "active": 0}],
}


def write(path: str, text: str, age: float = 0) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    if age:
        t = time.time() - age
        os.utime(path, (t, t))


class Copyback(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self)
        self.slave_vm = os.path.join(self.tmp, "slave", "voicemail")
        self.master_vm = os.path.join(self.tmp, "master", "voicemail")
        os.makedirs(self.master_vm)
        self.psql_out = os.path.join(self.tmp, "psql.json")
        self.inbox = os.path.join(self.tmp, "inbox.json")
        raw = {
            "node": {"name": "slave", "address": "198.18.0.12"},
            "peer": {"name": "master", "address": "198.18.0.11"},
            "paths": {"state_file": os.path.join(self.tmp, "monitor-state.json"),
                      "copyback_result": os.path.join(self.tmp, "copyback-result.json")},
            "ssh": {"command": [os.path.join(HERE, "fake-ssh")]},
            "failback_copy": {"dirs": [{"path": self.slave_vm, "target": self.master_vm}],
                              "snapshot_file": os.path.join(self.tmp, "snapshot.json"),
                              "psql": [os.path.join(HERE, "fake-psql")]},
        }
        self.config = lib.parse_config(raw)
        env = {"FAKE_PSQL_OUTPUT": self.psql_out, "FAKE_MASTER_INBOX": self.inbox,
               "FAKE_SSH_RC": "0", "FAKE_SETTINGS_RC": "0"}
        patcher = mock.patch.dict(os.environ, env)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.set_db(USERS)

    def set_db(self, value):
        with open(self.psql_out, "w", encoding="utf-8") as f:
            json.dump(value, f)

    def result(self):
        with open(self.config.paths["copyback_result"], encoding="utf-8") as f:
            return json.load(f)

    def active_period_with_dnd(self):
        write(os.path.join(self.slave_vm, "default", "1001", "INBOX", "old.txt"), "before takeover", age=3600)
        self.assertEqual(copyback.snapshot(self.config), 0)
        changed = json.loads(json.dumps(USERS))
        changed["userfeatures"][1]["enablednd"] = 1
        changed["callfiltermember"][0]["active"] = 1
        self.set_db(changed)
        write(os.path.join(self.slave_vm, "default", "1001", "INBOX", "msg0000.txt"), "left while active")

    def test_copies_voicemail_left_while_active_and_sends_changed_user_settings(self):
        self.active_period_with_dnd()
        self.assertEqual(copyback.push(self.config), 0)
        copied = os.path.join(self.master_vm, "default", "1001", "INBOX", "msg0000.txt")
        with open(copied, encoding="utf-8") as f:
            self.assertEqual(f.read(), "left while active")
        self.assertFalse(os.path.exists(os.path.join(self.master_vm, "default", "1001", "INBOX", "old.txt")))
        with open(self.inbox, encoding="utf-8") as f:
            sent = json.load(f)
        self.assertEqual(sent["changes"], [
            {"table": "userfeatures", "key": {"uuid": "u-2"}, "id": 2, "column": "enablednd", "before": 0, "after": 1},
            {"table": "callfiltermember", "key": {"callfilterid": 1, "type": "user", "typeval": "2"}, "id": 7,
             "column": "active", "before": 0, "after": 1},
        ])
        self.assertEqual(self.result()["ok"], True)
        self.assertEqual(self.result()["files_copied"], 1)

    def test_the_masters_receiver_accepts_what_the_copy_back_sends(self):
        import xivo_ha_replication_lib as receiver_lib
        self.active_period_with_dnd()
        self.assertEqual(copyback.push(self.config), 0)
        with open(self.inbox, encoding="utf-8") as f:
            sql = receiver_lib.build_user_settings_sql(json.load(f))
        self.assertIn('UPDATE public."userfeatures" SET "enablednd" = 1 WHERE "uuid" = \'u-2\' '
                      'AND "enablednd" IS NOT DISTINCT FROM 0;', sql)

    def test_never_deletes_nor_overwrites_on_the_master_and_lists_name_clashes(self):
        self.active_period_with_dnd()
        write(os.path.join(self.master_vm, "default", "1001", "INBOX", "msg0000.txt"), "the master's own message")
        write(os.path.join(self.master_vm, "default", "1001", "INBOX", "msg0001.txt"), "only on the master")
        self.assertEqual(copyback.push(self.config), 1)
        with open(os.path.join(self.master_vm, "default", "1001", "INBOX", "msg0000.txt"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "the master's own message")
        self.assertTrue(os.path.exists(os.path.join(self.master_vm, "default", "1001", "INBOX", "msg0001.txt")))
        self.assertEqual([os.path.basename(i["path"]) for i in self.result()["files_not_copied"]], ["msg0000.txt"])

    def test_a_second_push_after_success_reports_nothing_left_behind(self):
        self.active_period_with_dnd()
        self.assertEqual(copyback.push(self.config), 0)
        self.assertEqual(copyback.push(self.config), 0)
        self.assertEqual(self.result()["files_not_copied"], [])

    def test_user_settings_that_could_not_be_sent_are_kept_in_the_result(self):
        self.active_period_with_dnd()
        os.environ["FAKE_SETTINGS_RC"] = "3"
        self.assertEqual(copyback.push(self.config), 1)
        result = self.result()
        self.assertFalse(result["ok"])
        self.assertEqual([c["column"] for c in result["unsent_user_settings"]], ["enablednd", "active"])
        self.assertIn("exit 3", result["errors"][0])

    def test_an_unreachable_master_is_reported_with_every_file_left_behind(self):
        self.active_period_with_dnd()
        os.environ["FAKE_SSH_RC"] = "255"
        self.assertEqual(copyback.push(self.config), 1)
        result = self.result()
        self.assertEqual(len(result["files_not_copied"]), 1)
        self.assertTrue(any("rsync" in e for e in result["errors"]))

    def test_without_a_snapshot_the_settings_are_reported_not_guessed(self):
        self.assertEqual(copyback.push(self.config), 1)
        self.assertIn("no snapshot", self.result()["errors"][0])
        self.assertFalse(os.path.exists(self.inbox))

    def test_unchanged_settings_send_nothing(self):
        self.assertEqual(copyback.snapshot(self.config), 0)
        self.assertEqual(copyback.push(self.config), 0)
        self.assertFalse(os.path.exists(self.inbox))

    def test_the_settings_query_reads_the_real_column_names(self):
        for column in ("enablednd", "enableunc", "destunc", "enablerna", "destrna", "enablebusy", "destbusy",
                       "incallfilter", "callfiltermember", "active", "typeval", "callfilterid"):
            self.assertIn(column, copyback.SETTINGS_QUERY)


if __name__ == "__main__":
    unittest.main()
