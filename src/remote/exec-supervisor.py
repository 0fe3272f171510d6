# Runs one command for HostConnection.exec (python3 -c THIS LIMIT_S ARGV...)
# and makes sure it does not outlive what started it. sshd neither delivers
# the SSH "signal" request nor signals a command whose channel closed: a
# timed-out or abandoned command would run on (measured: a `sleep 31` timed
# out after 0.3 s was alive afterwards). So the command runs in a process
# group of its own, and the whole group is killed when:
#   - the channel closes (the runner timed it out, was killed, or its
#     connection died): sshd closes our stdout, which poll() reports as an
#     error on the write end;
#   - LIMIT_S passes (0: no limit), for when the close cannot reach the node
#     (a cut link: sshd notices a dead client only much later);
#   - we get SIGHUP, SIGINT or SIGTERM.
# The command inherits stdin, stdout and stderr; our exit status is its own
# (128 + N when signal N ended it), as a shell reports it.
import os
import select
import signal
import subprocess
import sys
import time

limit_s = float(sys.argv[1])
argv = sys.argv[2:]
# A signal that comes while the command starts is kept and acted on once
# kill_group is in place: the default action would end us and leave it running.
received = []
ENDING_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)
for sig in ENDING_SIGNALS:
    signal.signal(sig, lambda signum, _frame: received.append(signum))
try:
    child = subprocess.Popen(argv, start_new_session=True)
except FileNotFoundError:
    sys.stderr.write(f'{argv[0]}: command not found\n')
    sys.exit(127)
except PermissionError:
    sys.stderr.write(f'{argv[0]}: permission denied\n')
    sys.exit(126)


def kill_group(*_):
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()
    sys.exit(128 + signal.SIGKILL)


for sig in ENDING_SIGNALS:
    signal.signal(sig, kill_group)
if received:
    kill_group()
# A write to a closed channel must not end us before the group is killed.
signal.signal(signal.SIGPIPE, signal.SIG_IGN)

pidfd = os.pidfd_open(child.pid)
poller = select.poll()
poller.register(pidfd, select.POLLIN)
poller.register(1, 0)  # no events asked: POLLERR/POLLHUP (the reader is gone) are always reported
deadline = time.monotonic() + limit_s if limit_s > 0 else None
while True:
    wait_ms = None if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
    ready = dict(poller.poll(wait_ms))
    if pidfd in ready:
        break
    if ready.get(1, 0) & (select.POLLERR | select.POLLHUP):
        kill_group()
    if deadline is not None and time.monotonic() >= deadline:
        sys.stderr.write(f'xivo-ha: timed out after {limit_s:g} s; the command and its process group were killed\n')
        kill_group()
code = child.wait()
sys.exit(code if code >= 0 else 128 - code)
