"""xivo-ha-replicate --compare-schemas: the question `xivo-ha resume` and
`xivo-ha upgrade` ask before replicating. psql is a stand-in answering the
schema script with the master's or the slave's description."""

import json
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPLICATE = os.path.join(HERE, '..', 'xivo-ha-replicate')
SLAVE = '198.18.0.12'

FAKE_PSQL = f"""#!/bin/sh
# The slave is asked over TCP (a conninfo with host='{SLAVE}'); the master on its socket.
for a in "$@"; do case "$a" in *"host='{SLAVE}'"*) exec cat "$FAKE_SLAVE";; esac; done
exec cat "$FAKE_MASTER"
"""


def describe(version, columns):
    return json.dumps({'fingerprint': {'table userfeatures': columns}}) + '\n' + version + '\n'


class CompareSchemas(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        psql = os.path.join(self.dir, 'psql')
        with open(psql, 'w', encoding='utf-8') as f:
            f.write(FAKE_PSQL)
        os.chmod(psql, 0o755)
        self.config = os.path.join(self.dir, 'cluster.json')
        with open(self.config, 'w', encoding='utf-8') as f:
            json.dump({'node': {'role': 'master', 'address': '198.18.0.11'}, 'peer': {'address': SLAVE},
                       'replication': {'pg_bindir': self.dir, 'local_pg': {'os_user': 'root'}}}, f)

    def run_compare(self, master, slave):
        env = dict(os.environ)
        for name, text in (('FAKE_MASTER', master), ('FAKE_SLAVE', slave)):
            env[name] = os.path.join(self.dir, name)
            with open(env[name], 'w', encoding='utf-8') as f:
                f.write(text)
        state = os.path.join(self.dir, 'state')
        r = subprocess.run([REPLICATE, '--config', self.config, '--state-dir', state, '--compare-schemas'],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertFalse(os.path.exists(os.path.join(state, 'replication-status.json')), 'a comparison records no run')
        return r

    def test_same_schemas_exit_0(self):
        r = self.run_compare(describe('a1b2', 'id integer'), describe('a1b2', 'id integer'))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {'same': True, 'problems': [], 'master_version': 'a1b2', 'slave_version': 'a1b2'})

    def test_different_schemas_exit_2_naming_the_differences(self):
        r = self.run_compare(describe('a1b2', 'id integer'), describe('c3d4', 'id integer, lab text'))
        self.assertEqual(r.returncode, 2, r.stderr)
        answer = json.loads(r.stdout)
        self.assertFalse(answer['same'])
        self.assertEqual(answer['problems'], ['alembic_version differs: master a1b2, slave c3d4', 'different: table userfeatures'])

    def test_an_unreadable_answer_exit_1(self):
        r = self.run_compare('not json\n', describe('a1b2', 'id integer'))
        self.assertEqual(r.returncode, 1)
        self.assertIn('reading the schema', r.stderr)


if __name__ == '__main__':
    unittest.main()
