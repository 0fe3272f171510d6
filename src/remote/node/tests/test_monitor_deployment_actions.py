"""Run by the monitor's actions: the deployment actions' node programs (docs/deployments.md): the Edge
switch, the CC action and the MDS registration."""

import io
import json
import os
import shutil
import socket
import stat
import sys
import tempfile
import threading
import unittest
from contextlib import redirect_stderr, redirect_stdout
from unittest import mock

NODE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(path) as f:
        return f.read()


def workdir(case):
    d = tempfile.mkdtemp()
    case.addCleanup(shutil.rmtree, d, True)
    return d


import test_monitor_copyback as _copyback  # noqa: E402  (its load_script; as a module, so its tests are not collected twice)

load = _copyback.load_script
edge = load('xivo-ha-edge-switch')
cc = load('xivo-ha-cc-action')
mds = load('xivo-ha-mds-register')

ENV = '# Edge\nXIVO_HOST=10.0.0.11\nXIVOCC_HOST=10.0.0.21\nTURN_SECRET=s3cret-value\nTURN_ALLOWED_PEERS=10.0.0.11\n'
SLAVE = {'XIVO_HOST': '10.0.0.12', 'XIVOCC_HOST': '10.0.0.22', 'TURN_ALLOWED_PEERS': '10.0.0.12', 'XIVO_MDS_HOST_DEFAULT': '10.0.0.12'}


class Quiet:
    def __enter__(self):
        self.out, self.err = io.StringIO(), io.StringIO()
        self._a, self._b = redirect_stdout(self.out), redirect_stderr(self.err)
        self._a.__enter__()
        self._b.__enter__()
        return self

    def __exit__(self, *exc):
        self._b.__exit__(*exc)
        self._a.__exit__(*exc)


class EdgeSwitch(unittest.TestCase):
    def setUp(self):
        self.dir = workdir(self)
        self.env = os.path.join(self.dir, '.env')
        with open(self.env, 'w') as f:
            f.write(ENV)
        os.chmod(self.env, 0o640)
        self.relaunches = os.path.join(self.dir, 'relaunches')
        self.config = os.path.join(self.dir, 'edge-switch.json')
        self.write_config(['sh', '-c', f'echo x >> {self.relaunches}'])
        self.patch = mock.patch.multiple(edge, CONFIG=self.config, STATE=os.path.join(self.dir, 'state.json'), LOG=os.path.join(self.dir, 'log'))
        self.patch.start()
        self.addCleanup(self.patch.stop)

    def write_config(self, relaunch):
        with open(self.config, 'w') as f:
            json.dump({'env_file': self.env, 'relaunch': relaunch, 'sides': {'slave': SLAVE, 'master': {'XIVO_HOST': '10.0.0.11'}}}, f)

    def switch(self, side):
        with mock.patch.dict(os.environ, {'SSH_ORIGINAL_COMMAND': f'switch {side}'}), Quiet():
            return edge.main(['xivo-ha-edge-switch'])

    def relaunched(self):
        return read(self.relaunches).count('x') if os.path.exists(self.relaunches) else 0

    def test_switching_rewrites_only_the_changed_lines_keeps_the_rest_and_the_mode_then_relaunches(self):
        self.assertEqual(self.switch('slave'), 0)
        text = read(self.env)
        self.assertEqual(text, '# Edge\nXIVO_HOST=10.0.0.12\nXIVOCC_HOST=10.0.0.22\nTURN_SECRET=s3cret-value\nTURN_ALLOWED_PEERS=10.0.0.12\nXIVO_MDS_HOST_DEFAULT=10.0.0.12\n')
        self.assertEqual(stat.S_IMODE(os.stat(self.env).st_mode), 0o640)
        self.assertEqual(self.relaunched(), 1)
        self.assertEqual([f for f in os.listdir(self.dir) if 'tmp' in f], [])

    def test_a_second_switch_to_the_same_side_changes_nothing_and_does_not_relaunch(self):
        self.switch('slave')
        inode = os.stat(self.env).st_ino
        self.assertEqual(self.switch('slave'), 0)
        self.assertEqual(os.stat(self.env).st_ino, inode)
        self.assertEqual(self.relaunched(), 1)

    def test_a_failed_relaunch_fails_and_the_retry_relaunches_though_the_file_is_already_switched(self):
        self.write_config(['false'])
        self.assertEqual(self.switch('slave'), 1)
        self.write_config(['sh', '-c', f'echo x >> {self.relaunches}'])
        self.assertEqual(self.switch('slave'), 0)
        self.assertEqual(self.relaunched(), 1)

    def test_a_missing_relaunch_command_fails_with_exit_1_not_a_traceback(self):
        self.write_config(['/nonexistent/edge-relaunch'])
        self.assertEqual(self.switch('slave'), 1)
        self.assertIn('relaunch', read(os.path.join(self.dir, 'log')))

    def test_anything_but_switch_master_or_slave_is_refused_and_nothing_is_touched(self):
        for command in ['', 'id', 'switch', 'switch other', 'switch slave now', 'sh -c id']:
            with mock.patch.dict(os.environ, {'SSH_ORIGINAL_COMMAND': command}), Quiet():
                self.assertEqual(edge.main(['xivo-ha-edge-switch']), 2, command)
        self.assertEqual(read(self.env), ENV)
        self.assertEqual(self.relaunched(), 0)

    def test_values_never_reach_the_log(self):
        self.switch('slave')
        log = read(os.path.join(self.dir, 'log'))
        self.assertNotIn('s3cret-value', log)
        self.assertNotIn('10.0.0.12', log)
        self.assertIn('XIVO_HOST', log)


class CcAction(unittest.TestCase):
    def setUp(self):
        self.dir = workdir(self)
        self.config = os.path.join(self.dir, 'cc-action.json')
        self.ran = os.path.join(self.dir, 'ran')
        with open(self.config, 'w') as f:
            json.dump({'restart': ['sh', '-c', f'echo restarted >> {self.ran}']}, f)
        self.patch = mock.patch.multiple(cc, CONFIG=self.config, LOG=os.path.join(self.dir, 'log'))
        self.patch.start()
        self.addCleanup(self.patch.stop)

    def run_cc(self, command):
        with mock.patch.dict(os.environ, {'SSH_ORIGINAL_COMMAND': command}), Quiet():
            return cc.main(['xivo-ha-cc-action'])

    def test_restart_xuc_runs_the_configured_command_and_logs_it(self):
        self.assertEqual(self.run_cc('restart-xuc'), 0)
        self.assertEqual(read(self.ran), 'restarted\n')
        self.assertIn('restart-xuc: exit 0', read(os.path.join(self.dir, 'log')))

    def test_any_other_command_is_refused_without_running_anything(self):
        for command in ['id', 'restart-xuc; id', 'sh -c id', 'restart-xuc now']:
            self.assertEqual(self.run_cc(command), 2, command)
        self.assertFalse(os.path.exists(self.ran))

    def test_a_failing_restart_exits_1(self):
        with open(self.config, 'w') as f:
            json.dump({'restart': ['false']}, f)
        self.assertEqual(self.run_cc('restart-xuc'), 1)


class MdsRegister(unittest.TestCase):
    def setUp(self):
        self.dir = workdir(self)
        self.patch = mock.patch.object(mds, 'LOG', os.path.join(self.dir, 'log'))
        self.patch.start()
        self.addCleanup(self.patch.stop)

    def registrar(self, status):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(('127.0.0.1', 0))
        seen = []

        def serve():
            data, peer = sock.recvfrom(65535)
            seen.append(data.decode())
            head = data.decode().split('\r\n')
            keep = [h for h in head if h.split(':')[0] in ('Via', 'From', 'To', 'Call-ID', 'CSeq')]
            sock.sendto(('\r\n'.join([f'SIP/2.0 {status}'] + keep + ['Content-Length: 0', '', ''])).encode(), peer)
            sock.close()

        threading.Thread(target=serve, daemon=True).start()
        return sock.getsockname()[1], seen

    def register(self, port, *extra):
        with Quiet():
            return mds.main(['xivo-ha-mds-register', '--contact', '10.0.0.12', '--port', str(port), '--timeout', '2', *extra, '127.0.0.1'])

    def test_registers_the_main_with_the_given_contact_and_succeeds_on_200(self):
        port, seen = self.registrar('200 OK')
        self.assertEqual(self.register(port), 0)
        self.assertIn('REGISTER sip:127.0.0.1:', seen[0])
        self.assertIn('Contact: <sip:main@10.0.0.12:5060>', seen[0])
        self.assertIn('To: <sip:main@127.0.0.1>', seen[0])

    def test_a_refusal_or_no_answer_fails(self):
        port, _ = self.registrar('403 Forbidden')
        self.assertEqual(self.register(port), 1)
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(('127.0.0.1', 0))
        self.addCleanup(silent.close)
        self.assertEqual(self.register(silent.getsockname()[1]), 1)


if __name__ == '__main__':
    unittest.main()
