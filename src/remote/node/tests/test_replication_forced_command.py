"""xivo-ha-receive: what the forced command lets through, and everything it refuses."""

import importlib.machinery
import importlib.util
import io
import json
import os
import sys
import tempfile
import unittest
from unittest import mock

NODE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, NODE_DIR)

import xivo_ha_replication_lib as lib  # noqa: E402


def load_receive():
    loader = importlib.machinery.SourceFileLoader('xivo_ha_receive', os.path.join(NODE_DIR, 'xivo-ha-receive'))
    spec = importlib.util.spec_from_loader('xivo_ha_receive', loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


receive = load_receive()

ALLOWED = ['/etc/asterisk/extensions_extra.d', '/var/lib/asterisk/moh']
# What `rsync -rlptgo --delete-after --stats` really sends (rsync 3.2.7 and 3.5).
GOOD = 'rsync --server -logtpre.iLsfxCIvu --delete-after --stats . /etc/asterisk/extensions_extra.d/'


class RsyncArgv(unittest.TestCase):
    def validate(self, command):
        return lib.validate_rsync_server_argv(lib.split_original_command(command), ALLOWED)

    def test_accepts_what_our_client_sends_and_normalises_the_destination(self):
        for command, dest in [
            (GOOD, '/etc/asterisk/extensions_extra.d/'),
            ('rsync --server -logtpre.iLsfxCIvu --delete-after . /var/lib/asterisk/moh', '/var/lib/asterisk/moh/'),
            ('rsync --server -vlogtpr --delete . /var/lib/asterisk/moh/', '/var/lib/asterisk/moh/'),
        ]:
            with self.subTest(command=command):
                argv = self.validate(command)
                self.assertEqual(argv[:2], ['rsync', '--server'])
                self.assertEqual(argv[-2:], ['.', dest])

    def test_the_failback_key_accepts_what_the_copy_back_sends_and_the_replication_key_does_not(self):
        # What xivo-ha-copyback's `rsync -rlptgo --from0 --files-from=- --itemize-changes --ignore-existing`
        # and its `--checksum --dry-run` clash check really send (rsync 3.2.7).
        for command in ['rsync --server -logtprRe.iLsfxCIvu --log-format=%i --ignore-existing . /var/lib/asterisk/moh/',
                        'rsync --server -nlogtprcRe.iLsfxCIvu --log-format=%i --ignore-existing . /var/lib/asterisk/moh/']:
            with self.subTest(command=command):
                tokens = lib.split_original_command(command)
                self.assertEqual(lib.validate_rsync_server_argv(tokens, ALLOWED, copy_back=True)[-1], '/var/lib/asterisk/moh/')
                with self.assertRaises(lib.Refusal):
                    lib.validate_rsync_server_argv(tokens, ALLOWED)
        with self.assertRaises(lib.Refusal):
            lib.validate_rsync_server_argv(lib.split_original_command(
                'rsync --server -logDtprRe.iLsfxCIvu --ignore-existing . /var/lib/asterisk/moh/'), ALLOWED, copy_back=True)

    def test_refuses_every_dangerous_pattern(self):
        rejected = {
            'a shell': 'bash',
            'a shell command line': 'sh -c id',
            'rsync as client': 'rsync -a /etc/ /tmp/x/',
            'a sender (reading files back)': 'rsync --server --sender -logtpre.iLsfxCIvu . /etc/asterisk/extensions_extra.d/',
            'a remote shell option': 'rsync --server -logtpr --rsh=sh . /etc/asterisk/extensions_extra.d/',
            'a -e with a command': 'rsync --server -logtpre sh . /etc/asterisk/extensions_extra.d/',
            'a -e in its own word': 'rsync --server -e.iLsfxCIvu -logtpr . /etc/asterisk/extensions_extra.d/',
            'protect-args (hides args on stdin)': 'rsync --server -slogtpre.iLsfxCIvu . /etc/asterisk/extensions_extra.d/',
            'relative paths': 'rsync --server -logtprRe.iLsfxCIvu . /',
            'device files': 'rsync --server -logDtpre.iLsfxCIvu . /etc/asterisk/extensions_extra.d/',
            'the root': 'rsync --server -logtpre.iLsfxCIvu . /',
            'a parent of an allowed directory': 'rsync --server -logtpre.iLsfxCIvu . /etc/asterisk/',
            'a child of an allowed directory': 'rsync --server -logtpre.iLsfxCIvu . /etc/asterisk/extensions_extra.d/sub/',
            'a sibling with the same prefix': 'rsync --server -logtpre.iLsfxCIvu . /etc/asterisk/extensions_extra.d2/',
            'dot-dot': 'rsync --server -logtpre.iLsfxCIvu . /etc/asterisk/extensions_extra.d/../../../root/.ssh/',
            'a dot component': 'rsync --server -logtpre.iLsfxCIvu . /etc/asterisk/./extensions_extra.d/',
            'double slash': 'rsync --server -logtpre.iLsfxCIvu . /etc//asterisk/extensions_extra.d/',
            'a relative destination': 'rsync --server -logtpre.iLsfxCIvu . etc/asterisk/extensions_extra.d/',
            'two destinations': 'rsync --server -logtpre.iLsfxCIvu . /var/lib/asterisk/moh/ /etc/asterisk/extensions_extra.d/',
            'a source other than the placeholder': 'rsync --server -logtpre.iLsfxCIvu /root/ /etc/asterisk/extensions_extra.d/',
            'an unknown long option': 'rsync --server -logtpre.iLsfxCIvu --remove-source-files . /etc/asterisk/extensions_extra.d/',
            'a temp dir elsewhere': 'rsync --server -logtpre.iLsfxCIvu --temp-dir=/root . /etc/asterisk/extensions_extra.d/',
            'a backup dir elsewhere': 'rsync --server -logtpre.iLsfxCIvu --backup-dir=/root . /etc/asterisk/extensions_extra.d/',
            'a daemon': 'rsync --server --daemon .',
            'two flag words': 'rsync --server -logtpr -z . /etc/asterisk/extensions_extra.d/',
            'no flags': 'rsync --server --delete . /etc/asterisk/extensions_extra.d/',
            'shell syntax': 'rsync --server -logtpre.iLsfxCIvu . /etc/asterisk/extensions_extra.d/;id',
            'a command substitution': 'rsync --server -logtpre.iLsfxCIvu . $(id)',
            'quotes': "rsync --server -logtpre.iLsfxCIvu . '/etc/asterisk/extensions_extra.d/'",
            'a backslash': 'rsync --server -logtpre.iLsfxCIvu . /etc/asterisk/extensions\\_extra.d/',
            'a newline': 'rsync --server -logtpre.iLsfxCIvu . /etc/asterisk/extensions_extra.d/\nid',
            'a glob': 'rsync --server -logtpre.iLsfxCIvu . /etc/asterisk/*/',
            'nothing': '',
            'blanks': '   ',
        }
        for why, command in rejected.items():
            with self.subTest(why=why):
                with self.assertRaises(lib.Refusal):
                    self.validate(command)

    def test_no_command_is_refused_like_a_shell(self):
        with self.assertRaises(lib.Refusal):
            lib.split_original_command(None)


class Dispatch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.state = os.path.join(self.tmp.name, 'state')
        self.config = os.path.join(self.tmp.name, 'cluster.json')
        with open(self.config, 'w', encoding='utf-8') as f:
            json.dump({'node': {'role': 'slave', 'address': '198.18.0.12'}, 'peer': {'address': '198.18.0.11'},
                       'replication': {'directories': ALLOWED}}, f)

    def run_receive(self, role, command, stdin=b''):
        out, err = io.StringIO(), io.StringIO()
        fake_stdin = mock.Mock()
        fake_stdin.buffer = io.BytesIO(stdin)
        env = {'SSH_ORIGINAL_COMMAND': command} if command is not None else {}
        with mock.patch.dict(os.environ, env, clear=True), mock.patch.object(sys, 'stdout', out), \
                mock.patch.object(sys, 'stderr', err), mock.patch.object(sys, 'stdin', fake_stdin), \
                mock.patch.object(receive.os, 'execvp') as execvp, mock.patch.object(receive, 'journal') as journal:
            code = receive.main(['--role', role, '--config', self.config, '--state-dir', self.state])
        return code, out.getvalue(), err.getvalue(), execvp, journal

    def test_execs_a_valid_rsync_without_a_shell(self):
        code, _, _, execvp, _ = self.run_receive('replication', GOOD)
        execvp.assert_called_once()
        program, argv = execvp.call_args.args
        self.assertEqual(program, 'rsync')
        self.assertEqual(argv[-1], '/etc/asterisk/extensions_extra.d/')

    def test_refusals_run_nothing_and_are_logged(self):
        for role, command in [('replication', 'bash -i'), ('replication', None), ('replication', 'user-settings'),
                              ('failback', 'record-status'), ('failback', GOOD), ('replication', 'status now')]:
            with self.subTest(role=role, command=command):
                code, _, err, execvp, journal = self.run_receive(role, command)
                self.assertEqual(code, 1)
                execvp.assert_not_called()
                self.assertIn('refused', err)
                self.assertIn('refused', journal.call_args.args[1])

    def test_status_answers_empty_parts_when_nothing_was_recorded(self):
        code, out, _, _, _ = self.run_receive('replication', 'status')
        self.assertEqual(code, 0)
        self.assertEqual(json.loads(out), {'monitor': {}, 'replication': {}})

    def test_record_status_writes_the_file_atomically_and_status_returns_it(self):
        doc = {'version': 1, 'last': {'result': 'ok', 'started': 'x'}}
        code, _, _, _, _ = self.run_receive('replication', 'record-status', json.dumps(doc).encode())
        self.assertEqual(code, 0)
        self.assertEqual(os.stat(os.path.join(self.state, 'replication-status.json')).st_mode & 0o777, 0o600)
        self.assertEqual(os.listdir(self.state), ['replication-status.json'])
        _, out, _, _, _ = self.run_receive('replication', 'status')
        self.assertEqual(json.loads(out)['replication']['last'], doc['last'])

    def test_record_status_refuses_oversized_or_malformed_input(self):
        for payload in [b'x' * (lib.MAX_STDIN_BYTES + 1), b'not json', b'[]', b'{"last": 3}']:
            with self.subTest(payload=payload[:20]):
                code, _, _, _, _ = self.run_receive('replication', 'record-status', payload)
                self.assertEqual(code, 1)
                self.assertFalse(os.path.exists(os.path.join(self.state, 'replication-status.json')))


def change(**over):
    base = {'table': 'userfeatures', 'key': {'uuid': 'u-1'}, 'id': 1, 'column': 'enablednd', 'before': 0, 'after': 1}
    return {**base, **over}


class UserSettings(unittest.TestCase):
    def test_applies_the_copy_backs_changes_only_where_the_master_kept_the_old_value(self):
        sql = lib.build_user_settings_sql({'version': 1, 'from': 'slave', 'active_since': 't', 'changes': [
            change(column='destunc', before='', after="0611'22"),
            {'table': 'callfiltermember', 'key': {'callfilterid': 1, 'type': 'user', 'typeval': '2'}, 'id': 7,
             'column': 'active', 'before': 0, 'after': 1},
            change(column='destbusy', before=None, after='12'),
        ]})
        self.assertEqual(sql, 'BEGIN;\nSET LOCAL standard_conforming_strings = on;\n'
                              'UPDATE public."userfeatures" SET "destunc" = \'0611\'\'22\' '
                              'WHERE "uuid" = \'u-1\' AND "destunc" IS NOT DISTINCT FROM \'\';\n'
                              'UPDATE public."callfiltermember" SET "active" = 1 WHERE "callfilterid" = 1 '
                              'AND "type" = \'user\' AND "typeval" = \'2\' AND "active" IS NOT DISTINCT FROM 0;\n'
                              'UPDATE public."userfeatures" SET "destbusy" = \'12\' '
                              'WHERE "uuid" = \'u-1\' AND "destbusy" IS NOT DISTINCT FROM NULL;\n'
                              'COMMIT;\n')

    def test_an_empty_change_list_is_an_empty_transaction(self):
        self.assertEqual(lib.build_user_settings_sql({'version': 1, 'changes': []}),
                         'BEGIN;\nSET LOCAL standard_conforming_strings = on;\nCOMMIT;\n')

    def test_refuses_anything_not_allow_listed(self):
        for doc in [
            [], {'changes': [change()]}, {'version': 2, 'changes': [change()]}, {'version': 1, 'changes': {}},
            {'version': 1, 'changes': [change(table='usersip', column='secret', before='a', after='b')]},
            {'version': 1, 'changes': [change(column='passwdclient', before='a', after='b')]},
            {'version': 1, 'changes': [change(key={'id': 1})]},
            {'version': 1, 'changes': [change(key={'uuid': 'u', 'id': 1})]},
            {'version': 1, 'changes': [change(key={'uuid': 3})]},
            {'version': 1, 'changes': [change(after='1')]}, {'version': 1, 'changes': [change(after=True)]},
            {'version': 1, 'changes': [change(column='destunc', before='', after='a\x00b')]},
            {'version': 1, 'changes': [{k: v for k, v in change().items() if k != 'before'}]},
            {'version': 1, 'changes': ['UPDATE x']},
            {'userfeatures': [{'id': 1, 'enablednd': 1}]},
        ]:
            with self.subTest(doc=doc):
                with self.assertRaises(lib.Refusal):
                    lib.build_user_settings_sql(doc)

    def test_counts_updated_rows_and_changes_the_master_overrode(self):
        self.assertEqual(lib.count_updates('BEGIN\nSET\nUPDATE 1\nUPDATE 0\nUPDATE 1\nCOMMIT\n'), (2, 1))


if __name__ == '__main__':
    unittest.main()
