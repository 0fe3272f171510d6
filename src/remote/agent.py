#!/usr/bin/env python3
"""xivo-ha node agent.

Started once per connection by the runner (python3 standard library only, as
shipped on a stock XiVO node). Reads framed JSON requests on stdin and answers
each with one framed JSON response on stdout. A frame is the length of its
body in ASCII decimal, a newline, then the body (UTF-8 JSON). Bytes travel as
base64. See docs/agent.md.

A request is read whole before anything is done, so a runner killed while
sending leaves the node untouched. Errors are answered as data; nothing but
frames is ever written to stdout. The agent exits on stdin EOF.
"""

# Every run pays this agent's start on every host before its first answer:
# what only some requests need (subprocess, threading, shutil: about 10 ms of
# imports on a small node) is imported by the function that needs it.
import base64
import contextlib
import fcntl
import grp
import hashlib
import json
import os
import pwd
import select
import signal
import stat
import sys
import time

PROTOCOL = 1
TMP_PREFIX = '.xivo-ha-tmp-'
DEFAULT_LOCK = '/var/lib/xivo-ha/lock'
DEFAULT_TIMEOUT_S = 600.0
# sshd gives non-login sessions a PATH without the sbin directories, where
# most of what we run (systemctl, xivo-service) lives.
STANDARD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
MAX_HEADER = 20
INPUT_FD = 0  # the runner's requests; its hang-up ends the agent (watch_runner)

UMASK = os.umask(0o022)
os.umask(UMASK)


class Refused(Exception):
    """A probe or step that cannot be done; its message is answered as data."""


class RunnerGone(BaseException):
    """The runner hung up while a command ran: nobody will read the answer.

    A BaseException, so no step or request boundary turns it into an answer;
    main() ends the agent, which releases the run lock."""


class TimedOut(Exception):
    def __init__(self, message, stdout='', stderr=''):
        super().__init__(message)
        self.stdout = stdout
        self.stderr = stderr


# ---------------------------------------------------------------- helpers

def text(data):
    return data.decode('utf-8', 'replace')


def unb64(value):
    return base64.b64decode(value) if value else b''


def lstat_or_none(path):
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def resolve_ids(owner, group):
    """Names (or numeric strings) to ids; -1 leaves an id unchanged in chown."""
    uid = gid = -1
    if owner is not None:
        try:
            uid = int(owner) if str(owner).isdigit() else pwd.getpwnam(owner).pw_uid
        except KeyError:
            raise Refused(f'unknown user {owner!r}') from None
    if group is not None:
        try:
            gid = int(group) if str(group).isdigit() else grp.getgrnam(group).gr_gid
        except KeyError:
            raise Refused(f'unknown group {group!r}') from None
    return uid, gid


def fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except PermissionError:
        return  # a become_user that may write the directory but not read it
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def existing_dir(path):
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        raise Refused(f'directory {directory} does not exist')
    return directory


def temp_name(directory):
    # The pid tells a later agent whether the writer is still alive.
    return os.path.join(directory, f'{TMP_PREFIX}{os.getpid()}-{os.urandom(6).hex()}')


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(directory):
    """Temps left by an agent that died mid-write (node reboot, SIGKILL)."""
    try:
        names = os.listdir(directory)
    except PermissionError:
        return
    for name in names:
        if not name.startswith(TMP_PREFIX):
            continue
        pid = name[len(TMP_PREFIX):].split('-', 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def timeout_s(value_ms, default_s):
    return default_s if value_ms is None else max(value_ms, 1) / 1000.0


def run(argv, stdin=b'', env=None, cwd=None, timeout=DEFAULT_TIMEOUT_S):
    """Runs argv (no shell); rc 127/126 like a shell when it cannot start."""
    import subprocess  # here, not at the top: see the imports
    if not argv:
        raise Refused('empty command')
    if cwd is not None and not os.path.isdir(cwd):
        raise Refused(f'working directory {cwd} does not exist')
    try:
        # Own session: on timeout the whole process group is killed, so a
        # grandchild holding our pipes cannot keep us waiting.
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=cwd, env=env, start_new_session=True)
    except FileNotFoundError:
        return {'rc': 127, 'stdout': '', 'stderr': f'{argv[0]}: command not found'}
    except PermissionError:
        return {'rc': 126, 'stdout': '', 'stderr': f'{argv[0]}: permission denied'}
    watch = watch_runner(proc)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            out, err = b'', b''
        raise TimedOut(f'timed out after {timeout:g} s: {" ".join(argv)}', text(out), text(err)) from None
    finally:
        watch.set()
    if watch.runner_gone:
        raise RunnerGone()
    rc = proc.returncode
    return {'rc': 128 - rc if rc < 0 else rc, 'stdout': text(out), 'stderr': text(err)}


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def watch_runner(proc):
    """While proc runs, watch our stdin for the runner hanging up (EOF on the
    pipe, or the peer's shutdown of a socket); then kill proc's process group,
    so a long command does not keep the agent, and its lock, alive. Only hang-up
    events are asked for: data the runner sends stays unread for main()."""
    import threading  # here, not at the top: see the imports
    watch = threading.Event()
    watch.runner_gone = False
    poller = select.poll()
    poller.register(INPUT_FD, select.POLLRDHUP)

    def loop():
        while not watch.is_set():
            for _fd, event in poller.poll(200):
                if event & (select.POLLHUP | select.POLLERR | select.POLLRDHUP | select.POLLNVAL):
                    watch.runner_gone = True
                    kill_group(proc.pid)
                    return

    threading.Thread(target=loop, name='runner-watch', daemon=True).start()
    return watch


# ---------------------------------------------------------------- probes

def probe_file(p, _timeout):
    st = lstat_or_none(p['path'])
    if st is None:
        return {'exists': False}
    mode = st.st_mode
    kind = ('file' if stat.S_ISREG(mode) else 'directory' if stat.S_ISDIR(mode)
            else 'link' if stat.S_ISLNK(mode) else 'other')
    fact = {'exists': True, 'type': kind, 'mode': stat.S_IMODE(mode), 'uid': st.st_uid, 'gid': st.st_gid,
            'owner': user_name(st.st_uid), 'group': group_name(st.st_gid), 'size': st.st_size}
    if kind == 'link':
        fact['target'] = os.readlink(p['path'])
    elif kind == 'file':
        digest = hashlib.sha256()
        chunks = []
        # Above contentMax (copy, template) the hash alone decides: no content.
        limit = p.get('contentMax')
        want = p.get('content') and (limit is None or st.st_size <= limit)
        with open(os.open(p['path'], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
                if want:
                    chunks.append(chunk)
        fact['sha256'] = digest.hexdigest()
        if want:
            fact['content'] = base64.b64encode(b''.join(chunks)).decode('ascii')
    return fact


def probe_user(p, _timeout):
    try:
        u = pwd.getpwnam(p['name'])
    except KeyError:
        return {'exists': False}
    return {'exists': True, 'uid': u.pw_uid, 'gid': u.pw_gid, 'home': u.pw_dir, 'shell': u.pw_shell}


def probe_group(p, _timeout):
    try:
        return {'exists': True, 'gid': grp.getgrnam(p['name']).gr_gid}
    except KeyError:
        return {'exists': False}


def probe_command(p, timeout):
    return run(p['argv'], (p.get('stdin') or '').encode('utf-8'), timeout=timeout)


def unit_states(units, timeout):
    """All units in ONE systemctl call; blocks come back in argument order."""
    names = list(dict.fromkeys(units))
    env = dict(os.environ, LC_ALL='C', SYSTEMD_PAGER='', SYSTEMD_COLORS='0')
    r = run(['systemctl', 'show', '--no-pager', '-p', 'LoadState,ActiveState,UnitFileState', '--', *names],
            env=env, timeout=timeout)
    blocks = r['stdout'].strip('\n').split('\n\n') if r['stdout'].strip() else []
    if r['rc'] != 0 or len(blocks) != len(names):
        failure = {'error': f'systemctl show failed (exit {r["rc"]}): {r["stderr"].strip()[-400:]}'}
        return {name: failure for name in names}
    facts = {}
    for name, block in zip(names, blocks):
        props = dict(line.split('=', 1) for line in block.splitlines() if '=' in line)
        facts[name] = {'exists': props.get('LoadState', 'not-found') not in ('not-found', ''),
                       'active': props.get('ActiveState', ''), 'enabled': props.get('UnitFileState', '')}
    return facts


PROBES = {'file': probe_file, 'user': probe_user, 'group': probe_group, 'command': probe_command}


def handle_probe(req):
    timeout = timeout_s(req.get('timeoutMs'), DEFAULT_TIMEOUT_S)
    probes = req['probes']
    units = [p['unit'] for p in probes if p['kind'] == 'unit']
    try:
        unit_facts = unit_states(units, timeout) if units else {}
    except TimedOut as e:
        unit_facts = {u: {'error': str(e)} for u in units}
    facts = []
    for p in probes:
        try:
            facts.append(unit_facts[p['unit']] if p['kind'] == 'unit' else PROBES[p['kind']](p, timeout))
        except (OSError, Refused, TimedOut) as e:
            facts.append({'error': str(e)})
    return {'ok': True, 'facts': facts}


# ---------------------------------------------------------------- steps

def set_attrs(path, uid, gid, mode, follow=True):
    """chown before chmod: chown clears setuid/setgid bits."""
    if uid != -1 or gid != -1:
        os.chown(path, uid, gid, follow_symlinks=follow)
    if mode is not None:
        os.chmod(path, mode)


def step_put(s, _timeout):
    path = s['path']
    data = unb64(s.get('content'))
    uid, gid = resolve_ids(s.get('owner'), s.get('group'))
    directory = existing_dir(path)
    old = lstat_or_none(path)
    if old is not None and stat.S_ISDIR(old.st_mode):
        raise Refused('is a directory')
    mode = s.get('mode')
    asked = (uid, gid)
    # Like Ansible: an existing file keeps the attributes nobody asked to change.
    if old is not None and stat.S_ISREG(old.st_mode):
        mode = stat.S_IMODE(old.st_mode) if mode is None else mode
        uid = old.st_uid if uid == -1 else uid
        gid = old.st_gid if gid == -1 else gid
    mode = (0o666 & ~UMASK) if mode is None else mode
    remove_stale_temps(directory)
    tmp = temp_name(directory)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            try:
                os.fchown(fd, uid, gid)
            except PermissionError:
                # A become_user may not give the file back to its old owner;
                # Ansible's atomic_move ignores that too. Asked ids still fail.
                if asked != (-1, -1) or not s.get('asUser'):
                    raise
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)
    return {'ok': True}


def step_mkdir(s, _timeout):
    path = os.path.normpath(s['path'])
    uid, gid = resolve_ids(s.get('owner'), s.get('group'))
    mode = s.get('mode')
    missing = []
    probe = path
    while lstat_or_none(probe) is None:
        missing.append(probe)
        probe = os.path.dirname(probe)
    for d in reversed(missing):
        os.mkdir(d, 0o700)
        set_attrs(d, uid, gid, (0o777 & ~UMASK) if mode is None else mode)
    if not os.path.isdir(path):
        raise Refused('exists and is not a directory')
    if not missing:
        set_attrs(path, uid, gid, mode)
    else:
        fsync_dir(os.path.dirname(missing[-1]) or '.')
    return {'ok': True}


def step_remove(s, _timeout):
    path = s['path']
    st = lstat_or_none(path)
    if st is None:
        return {'ok': True}
    if stat.S_ISDIR(st.st_mode):
        if s.get('recursive'):
            import shutil  # here, not at the top: see the imports
            shutil.rmtree(path)
        else:
            os.rmdir(path)
    else:
        os.unlink(path)
    fsync_dir(os.path.dirname(os.path.normpath(path)) or '.')
    return {'ok': True}


def step_symlink(s, _timeout):
    path = s['path']
    uid, gid = resolve_ids(s.get('owner'), s.get('group'))
    directory = existing_dir(path)
    old = lstat_or_none(path)
    if old is not None and stat.S_ISDIR(old.st_mode):
        raise Refused('is a directory; remove it first')
    tmp = temp_name(directory)
    os.symlink(s['target'], tmp)
    try:
        set_attrs(tmp, uid, gid, None, follow=False)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)
    return {'ok': True}


def step_attrs(s, _timeout):
    path = s['path']
    follow = s.get('follow', True)
    st = os.stat(path) if follow else os.lstat(path)
    uid, gid = resolve_ids(s.get('owner'), s.get('group'))
    # Linux has no mode on a symbolic link itself.
    mode = None if stat.S_ISLNK(st.st_mode) else s.get('mode')
    set_attrs(path, uid, gid, mode, follow=follow)
    return {'ok': True}


def step_touch(s, _timeout):
    path = s['path']
    uid, gid = resolve_ids(s.get('owner'), s.get('group'))
    if lstat_or_none(path) is None:
        existing_dir(path)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
    else:
        os.utime(path)
    set_attrs(path, uid, gid, s.get('mode'))
    return {'ok': True}


def step_exec(s, timeout):
    env = dict(os.environ, **s['env']) if s.get('env') else None
    r = run(s['argv'], unb64(s.get('stdin')), env=env, cwd=s.get('cwd'), timeout=timeout_s(s.get('timeoutMs'), timeout))
    ok_codes = s.get('okCodes') or [0]
    r['ok'] = r['rc'] in ok_codes
    if not r['ok']:
        r['error'] = f'exit {r["rc"]}: {" ".join(s["argv"])}'
    return r


STEPS = {'put': step_put, 'mkdir': step_mkdir, 'remove': step_remove, 'symlink': step_symlink,
         'attrs': step_attrs, 'touch': step_touch, 'exec': step_exec}


@contextlib.contextmanager
def acting_as(name):
    """The effective ids and groups of user `name` (Ansible's become_user) for one filesystem step."""
    if name is None:
        yield
        return
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        raise Refused(f'unknown user {name!r}') from None
    groups, egid = os.getgroups(), os.getegid()
    os.setgroups(os.getgrouplist(name, pw.pw_gid))
    os.setegid(pw.pw_gid)
    os.seteuid(pw.pw_uid)
    try:
        yield
    finally:
        os.seteuid(0)  # back first: the saved uid is root, and setgroups needs the capability
        os.setegid(egid)
        os.setgroups(groups)


def handle_apply(req):
    timeout = timeout_s(req.get('timeoutMs'), DEFAULT_TIMEOUT_S)
    results = []
    for s in req['steps']:
        where = s.get('path') or ' '.join(s.get('argv') or [])
        try:
            with acting_as(s.get('asUser')):
                result = STEPS[s['kind']](s, timeout)
        except TimedOut as e:
            result = {'ok': False, 'error': str(e), 'stdout': e.stdout, 'stderr': e.stderr}
        except (OSError, Refused, KeyError, ValueError, TypeError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            result = {'ok': False, 'error': f'{s.get("kind")} {where}: {reason}'}
        results.append(result)
        if not result['ok']:
            break
    return {'ok': True, 'results': results}


# ---------------------------------------------------------------- lock

lock_fd = None


def read_holder(fd):
    raw = os.pread(fd, 4096, 0)
    try:
        return json.loads(raw)
    except ValueError:
        return {'holder': text(raw).strip() or 'unknown'}


def handle_lock(req):
    """flock held for the agent's lifetime: the kernel releases it when we die."""
    global lock_fd
    if lock_fd is not None:
        return {'ok': True}
    path = req.get('path') or DEFAULT_LOCK
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700)
        os.chmod(directory, 0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = read_holder(fd)
        os.close(fd)
        return {'ok': False, 'error': 'locked', 'holder': holder}
    info = {'holder': req.get('holder', ''), 'pid': os.getpid(), 'user': user_name(os.getuid()),
            'sudo_user': os.environ.get('SUDO_USER'), 'ssh_client': (os.environ.get('SSH_CLIENT') or '').split(' ')[0] or None,
            'since': time.strftime('%Y-%m-%dT%H:%M:%S+00:00', time.gmtime())}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode('utf-8') + b'\n', 0)
    os.fsync(fd)
    lock_fd = fd
    return {'ok': True}


def handle_unlock(_req):
    global lock_fd
    if lock_fd is not None:
        os.ftruncate(lock_fd, 0)
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)
        lock_fd = None
    return {'ok': True}


def handle_ping(_req):
    return {'ok': True, 'protocol': PROTOCOL, 'pid': os.getpid(), 'uid': os.getuid(),
            'python': '.'.join(map(str, sys.version_info[:3]))}


HANDLERS = {'ping': handle_ping, 'probe': handle_probe, 'apply': handle_apply,
            'lock': handle_lock, 'unlock': handle_unlock}


# ---------------------------------------------------------------- framing

class BadFrame(Exception):
    pass


def read_frame(inp):
    """The whole body, or None on EOF (also mid-frame: a half request is never acted on)."""
    header = inp.readline(MAX_HEADER)
    if not header:
        return None
    if not header.endswith(b'\n') or not header[:-1].isdigit():
        raise BadFrame(f'bad frame header {header[:MAX_HEADER]!r}: expected a decimal length and a newline')
    size = int(header)
    body = inp.read(size)
    return body if len(body) == size else None


def write_frame(out, response):
    # ASCII escapes carry any str, even the surrogates of a non-UTF-8 file name.
    body = json.dumps(response, separators=(',', ':')).encode('ascii')
    out.write(b'%d\n' % len(body) + body)
    out.flush()


def answer(body):
    try:
        req = json.loads(body)
        op = req['op']
        handler = HANDLERS[op]
    except (ValueError, KeyError, TypeError) as e:
        return {'ok': False, 'error': f'malformed request: {type(e).__name__}: {e}'}
    try:
        response = handler(req)
    except Exception as e:  # the boundary: any failure becomes an answer, never a traceback on stdout
        response = {'ok': False, 'error': f'{op} failed: {type(e).__name__}: {e}'}
    if 'id' in req:
        response['id'] = req['id']
    return response


def main():
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print can never corrupt the framing
    path = os.environ.get('PATH', '').split(':')
    os.environ['PATH'] = ':'.join([d for d in path if d] + [d for d in STANDARD_PATH if d not in path])
    try:
        while True:
            try:
                body = read_frame(inp)
            except BadFrame as e:
                write_frame(out, {'ok': False, 'error': str(e)})
                return 2
            if body is None:
                return 0
            write_frame(out, answer(body))
    except BrokenPipeError:
        return 0
    except RunnerGone:
        handle_unlock(None)
        return 0


if __name__ == '__main__':
    sys.exit(main())
