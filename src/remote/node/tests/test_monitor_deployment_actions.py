"""Run by the monitor's actions: the deployment actions' node programs (docs/deployments.md): the Edge
switch, the CC action and the MDS registration."""

import hashlib
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


PASSWORD = 'trunk-Secret-4711'


class MdsRegisterAuth(unittest.TestCase):
    """An MDS whose Asterisk asks the Main's REGISTER for digest credentials."""

    def setUp(self):
        self.dir = workdir(self)
        self.log = os.path.join(self.dir, 'log')
        self.patch = mock.patch.object(mds, 'LOG', self.log)
        self.patch.start()
        self.addCleanup(self.patch.stop)
        self.auth_file = os.path.join(self.dir, 'mds-auth.json')
        with open(self.auth_file, 'w') as f:
            json.dump({'password': PASSWORD}, f)

    def registrar(self, password=PASSWORD, code=401, stale_first=False):
        """Challenges every REGISTER without valid credentials; 200 OK once they are right."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(('127.0.0.1', 0))
        self.addCleanup(sock.close)
        seen = []
        ask, answer = ('WWW-Authenticate', 'Authorization') if code == 401 else ('Proxy-Authenticate', 'Proxy-Authorization')
        nonces = iter(['n-stale', 'n-fresh'] if stale_first else ['n-1', 'n-2', 'n-3'])

        def valid(text, nonce):
            got = mds.header_values(text, answer)
            if not got:
                return False
            f = mds.parse_challenge(got[0])
            ha1 = hashlib.md5(f"{f['username']}:mds-realm:{password}".encode()).hexdigest()
            ha2 = hashlib.md5(f"REGISTER:{f['uri']}".encode()).hexdigest()
            expected = hashlib.md5(f"{ha1}:{nonce}:{f['nc']}:{f['cnonce']}:auth:{ha2}".encode()).hexdigest()
            return f['nonce'] == nonce and f['response'] == expected and f['username'] == 'main' and f.get('opaque') == 'op'

        def serve():
            nonce = None
            try:
                while len(seen) < 4:
                    data, peer = sock.recvfrom(65535)
                    text = data.decode()
                    seen.append(text)
                    head = text.split('\r\n')
                    keep = [h for h in head if h.split(':')[0] in ('Via', 'From', 'To', 'Call-ID', 'CSeq')]
                    if nonce is not None and valid(text, nonce) and nonce != 'n-stale':
                        lines = ['SIP/2.0 200 OK'] + keep
                    else:
                        stale = ', stale=true' if nonce == 'n-stale' else ''
                        nonce = next(nonces)
                        reason = 'Unauthorized' if code == 401 else 'Proxy Authentication Required'
                        lines = [f'SIP/2.0 {code} {reason}'] + keep + [
                            f'{ask}: Digest realm="mds-realm", nonce="{nonce}", qop="auth", algorithm=MD5, opaque="op"{stale}']
                    sock.sendto(('\r\n'.join(lines + ['Content-Length: 0', '', ''])).encode(), peer)
            except OSError:
                pass

        threading.Thread(target=serve, daemon=True).start()
        return sock.getsockname()[1], seen

    def register(self, port, *extra):
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(out):
            code = mds.main(['xivo-ha-mds-register', '--contact', '10.0.0.12', '--port', str(port), '--timeout', '2', *extra, '127.0.0.1'])
        return code, out.getvalue()

    def assert_no_password_written(self, output):
        self.assertNotIn(PASSWORD, output)
        self.assertNotIn(PASSWORD, read(self.log))

    def test_answers_a_401_digest_challenge_with_the_auth_file_credentials(self):
        port, seen = self.registrar()
        code, output = self.register(port, '--auth-file', self.auth_file)
        self.assertEqual(code, 0, output)
        self.assertEqual(len(seen), 2)
        first, second = seen
        self.assertIn('CSeq: 1 REGISTER', first)
        self.assertIn('CSeq: 2 REGISTER', second)
        # The same dialog: Call-ID and From tag kept, as RFC 3261 asks of a retried REGISTER.
        self.assertEqual(mds.header_values(first, 'call-id'), mds.header_values(second, 'call-id'))
        self.assertEqual(mds.header_values(first, 'from'), mds.header_values(second, 'from'))
        self.assertIn('Contact: <sip:main@10.0.0.12:5060>', second)
        self.assert_no_password_written(output + first + second)

    def test_answers_a_407_with_proxy_authorization(self):
        port, seen = self.registrar(code=407)
        code, output = self.register(port, '--auth-file', self.auth_file)
        self.assertEqual(code, 0, output)
        self.assertTrue(mds.header_values(seen[1], 'proxy-authorization'))

    def test_answers_a_stale_nonce_once_more(self):
        port, seen = self.registrar(stale_first=True)
        code, output = self.register(port, '--auth-file', self.auth_file)
        self.assertEqual(code, 0, output)
        self.assertEqual(len(seen), 3)

    def test_refused_credentials_fail_without_showing_the_password(self):
        port, seen = self.registrar(password='another-password')
        code, output = self.register(port, '--auth-file', self.auth_file)
        self.assertEqual(code, 1)
        self.assertIn('the credentials were refused', output)
        self.assertEqual(len(seen), 2)
        self.assert_no_password_written(output)

    def test_a_challenge_without_credentials_fails_naming_the_inventory_secret(self):
        port, _ = self.registrar()
        code, output = self.register(port)
        self.assertEqual(code, 1)
        self.assertIn('mds_trunk_password', output)

    def test_an_unreadable_auth_file_fails_naming_the_file(self):
        port, _ = self.registrar()
        code, output = self.register(port, '--auth-file', os.path.join(self.dir, 'missing.json'))
        self.assertEqual(code, 1)
        self.assertIn('missing.json', output)

    def test_the_digest_response_of_rfc_2617_section_3_5(self):
        challenge = mds.parse_challenge('Digest realm="testrealm@host.com", qop="auth,auth-int", '
                                        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')
        header = mds.digest_authorization(challenge, 'Mufasa', 'Circle Of Life', '/dir/index.html', 'Authorization',
                                          cnonce='0a4f113b', method='GET')
        self.assertIn('response="6629fae49393a05397450978507c4ef1"', header)
        self.assertIn('opaque="5ccc069c403ebaf9f0171e9517f40e41"', header)

    def test_a_challenge_asking_only_for_auth_int_fails_clearly(self):
        with self.assertRaisesRegex(mds.AuthError, 'auth-int'):
            mds.digest_authorization({'realm': 'r', 'nonce': 'n', 'qop': 'auth-int'}, 'u', 'p', 'sip:x', 'Authorization')

    def test_an_unsupported_digest_algorithm_fails_clearly(self):
        with self.assertRaisesRegex(mds.AuthError, 'SHA-512'):
            mds.digest_authorization({'realm': 'r', 'nonce': 'n', 'algorithm': 'SHA-512'}, 'u', 'p', 'sip:x', 'Authorization')


if __name__ == '__main__':
    unittest.main()
