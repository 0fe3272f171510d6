"""The slave's failover monitor: configuration, probes, state file, HA lock
and the state machine standby -> active -> failing-back -> standby.

Standard library only (a stock XiVO has python3 and nothing more). Time,
probes and commands are injected so the state machine is tested with a fake
clock; `main()` wires the real ones. docs/monitor.md is the contract for the
configuration keys and the state file written here.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

DEFAULT_CONFIG_PATH = "/etc/xivo-ha/cluster.json"
CONFIG_ENV = "XIVO_HA_CONFIG"
STATE_DIR = "/var/lib/xivo-ha"

STANDBY = "standby"
ACTIVE = "active"
FAILING_BACK = "failing-back"
STATES = (STANDBY, ACTIVE, FAILING_BACK)
HISTORY_LENGTH = 20

# Profiles resolved to numbers; explicit keys in `monitor` override them.
PROFILES: dict[str, dict[str, Any]] = {
    # XiVO's behaviour: every 60 s a round of 3 probes 10 s apart.
    "default": {
        "interval": 60, "probes_per_round": 3, "probe_spacing": 10,
        "rounds_to_takeover": 1, "probe_timeout": 2, "active_probe_interval": 10,
        "stable_period": 120, "failback_grace": 120, "lock_timeout": 60,
        "max_rounds_to_takeover": 2, "flap_memory": 3600,
    },
    # A probe every second, takeover after 3 consecutive failures.
    "fast": {
        "interval": 1, "probes_per_round": 1, "probe_spacing": 0,
        "rounds_to_takeover": 3, "probe_timeout": 1, "active_probe_interval": 2,
        "stable_period": 10, "failback_grace": 60, "lock_timeout": 5,
        "max_rounds_to_takeover": 8, "flap_memory": 300,
    },
}
MONITOR_DEFAULTS: dict[str, Any] = {
    "profile": "default", "witness": None, "sip_port": 5060,
    "down_probe": "sip", "ready_probes": ["icmp", "telephony-ready"],
    "action_retries": 2, "action_retry_delay": 2, "action_timeout": 300,
    "telephony_check": ["systemctl", "is-active", "--quiet", "asterisk.service"],
}
PATH_DEFAULTS: dict[str, str] = {
    "state_file": f"{STATE_DIR}/monitor-state.json",
    "paused_file": f"{STATE_DIR}/paused.json",
    "ha_lock": f"{STATE_DIR}/ha.lock",
    "copyback_result": f"{STATE_DIR}/copyback-result.json",
    # Manual failover/failback: `xivo-ha-monitor request` writes the request,
    # the daemon takes it (rename: exactly one side wins a give-up race),
    # performs it and writes the result.
    "request_file": f"{STATE_DIR}/monitor-request.json",
    "request_result": f"{STATE_DIR}/monitor-request-result.json",
}
REQUEST_ACTIONS = ("takeover", "failback")
# Sleeps are cut in slices this long so a manual request waits no longer.
REQUEST_POLL = 0.25
SSH_DEFAULTS: dict[str, Any] = {
    "user": "root",
    "failback_key": "/root/.ssh/xivo_ha_failback",
    "replication_key": "/root/.ssh/xivo_ha_replication",
    "options": ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"],
    "command": ["ssh"],
}
# telephony_restart: what starts telephony again on a slave in charge that
# finds it stopped (an apply planned while it was standby, an operator, a
# crash systemd gave up on); the playbook writes the takeover's telephony
# commands there.
ACTION_PHASES = ("takeover", "after_takeover", "before_failback", "failback", "after_failback", "telephony_restart")
# A slave in charge retries a telephony restart no sooner than this many
# active probe intervals after the last attempt.
TELEPHONY_RESTART_GAP_INTERVALS = 3
TELEPHONY_STOPPED_NOTE = "would start telephony again: it is not running on this slave in charge (paused)"
NUMBER_KEYS = (
    "interval", "probes_per_round", "probe_spacing", "rounds_to_takeover", "probe_timeout",
    "active_probe_interval", "stable_period", "failback_grace", "lock_timeout", "sip_port",
    "action_retries", "action_retry_delay", "action_timeout", "max_rounds_to_takeover", "flap_memory",
)
INTEGER_KEYS = ("probes_per_round", "rounds_to_takeover", "max_rounds_to_takeover", "sip_port", "action_retries")
# telephony-ready: SIP answers, or the master's guard holds its telephony
# back because this slave is in charge (then SIP cannot answer by design).
PROBE_KINDS = ("icmp", "sip", "ssh", "telephony-ready")
MASTER_HELD = "held"


class ConfigError(Exception):
    """A problem in cluster.json, located by file and key."""


def ha_state_of(status: Any) -> Any:
    """The HA state in what a peer's `xivo-ha-receive status` printed:
    `{"monitor": <monitor-state.json>, "replication": …}`, so the state is
    `monitor.state`. A bare monitor-state.json (top-level `state`) is read
    too, so an older receiver still answers. None when there is none."""
    if not isinstance(status, dict):
        return None
    monitor = status.get("monitor")
    if isinstance(monitor, dict) and "state" in monitor:
        return monitor.get("state")
    return status.get("state")


# ---------------------------------------------------------------- configuration

@dataclass(frozen=True)
class Config:
    path: str
    node: dict[str, Any]
    peer: dict[str, Any]
    monitor: dict[str, Any]
    actions: dict[str, list[list[str]]]
    paths: dict[str, str]
    ssh: dict[str, Any]
    failback_copy: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    @property
    def master(self) -> str:
        return str(self.peer["address"])

    def ssh_argv(self, key: str, remote_command: list[str], connect_timeout: float | None = None) -> list[str]:
        """ssh to the peer with one of the restricted keys; the peer's forced
        command reads the first word of remote_command."""
        timeout = connect_timeout if connect_timeout is not None else self.monitor["probe_timeout"]
        return [*self.ssh["command"], "-i", self.ssh[key], *self.ssh["options"],
                "-o", f"ConnectTimeout={max(1, round(timeout))}",
                f"{self.ssh['user']}@{self.master}", *remote_command]


def config_path(argv_path: str | None = None) -> str:
    return argv_path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH


def load_config(path: str) -> Config:
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the cluster configuration: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from e
    return parse_config(raw, path)


def parse_config(raw: Any, path: str = "cluster.json") -> Config:
    """Validates and normalises; every problem is reported at once."""
    problems: list[str] = []

    def obj(value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object, got {type(value).__name__}")
            return {}
        return value

    root = obj(raw, "(top level)")
    node = obj(root.get("node"), "node")
    peer = obj(root.get("peer"), "peer")
    for where, section in (("node", node), ("peer", peer)):
        if not isinstance(section.get("address"), str) or not section.get("address"):
            problems.append(f"{where}.address: required, the node's IP address or host name")

    given = obj(root.get("monitor"), "monitor")
    profile = given.get("profile", MONITOR_DEFAULTS["profile"])
    if profile not in PROFILES:
        problems.append(f"monitor.profile: expected one of {', '.join(PROFILES)}, got {profile!r}")
        profile = "default"
    monitor = {**MONITOR_DEFAULTS, **PROFILES[profile], **given, "profile": profile}
    for key in NUMBER_KEYS:
        value = monitor[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            problems.append(f"monitor.{key}: expected a number >= 0, got {value!r}")
        elif key in INTEGER_KEYS and (value != int(value) or value < 1):
            problems.append(f"monitor.{key}: expected a whole number >= 1, got {value!r}")
    if monitor["witness"] is not None and not isinstance(monitor["witness"], str):
        problems.append(f"monitor.witness: expected an address or null, got {monitor['witness']!r}")
    if monitor["down_probe"] not in ("sip", "icmp"):
        problems.append(f"monitor.down_probe: expected 'sip' or 'icmp', got {monitor['down_probe']!r}")
    ready = monitor["ready_probes"]
    if not isinstance(ready, list) or not ready or any(p not in PROBE_KINDS for p in ready):
        problems.append(f"monitor.ready_probes: expected a non-empty list of {', '.join(PROBE_KINDS)}, got {ready!r}")
    check_argv(monitor["telephony_check"], "monitor.telephony_check", problems)

    given_actions = obj(root.get("actions"), "actions")
    actions: dict[str, list[list[str]]] = {}
    for phase in ACTION_PHASES:
        commands = given_actions.get(phase, [])
        if not isinstance(commands, list):
            problems.append(f"actions.{phase}: expected a list of argv lists")
            commands = []
        for i, argv in enumerate(commands):
            check_argv(argv, f"actions.{phase}[{i}]", problems)
        actions[phase] = commands
    for phase in given_actions:
        if phase not in ACTION_PHASES:
            problems.append(f"actions.{phase}: unknown phase (known: {', '.join(ACTION_PHASES)})")

    paths = {**PATH_DEFAULTS, **obj(root.get("paths"), "paths")}
    ssh = {**SSH_DEFAULTS, **obj(root.get("ssh"), "ssh")}
    check_argv(ssh["command"], "ssh.command", problems)
    failback_copy = obj(root.get("failback_copy"), "failback_copy")

    if problems:
        raise ConfigError("\n".join(f"{path}: {p}" for p in problems))
    return Config(path, node, peer, monitor, actions, paths, ssh, failback_copy, root)


def check_argv(argv: Any, where: str, problems: list[str]) -> None:
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        problems.append(f"{where}: expected a non-empty list of strings (an argv), got {argv!r}")


# ---------------------------------------------------------------- time

def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class RealClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


# ---------------------------------------------------------------- probes

@dataclass
class ProbeResult:
    """One probe attempt of the master: kind -> passed, and why when not."""
    passed: dict[str, bool]
    detail: dict[str, str] = field(default_factory=dict)

    def ok(self, kind: str) -> bool:
        return self.passed.get(kind, False)

    def all_ok(self, kinds: list[str]) -> bool:
        return all(self.ok(k) for k in kinds)

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "detail": self.detail}


def start_ping(address: str, timeout: float, count: int = 1) -> subprocess.Popen[bytes]:
    # -n: no DNS; -W: seconds to wait for the reply; -i 0.2 only matters with count > 1.
    argv = ["ping", "-n", "-q", "-c", str(count), "-W", str(max(1, round(timeout)))]
    if count > 1:
        argv += ["-i", "0.2"]
    return subprocess.Popen([*argv, address], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ping(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        return proc.wait(timeout=timeout + 2) == 0
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


def ping(address: str, timeout: float, count: int = 1) -> bool:
    """iputils ping: True when at least one echo reply came back."""
    return wait_ping(start_ping(address, timeout, count), timeout * count)


def sip_options_request(host: str, port: int, local_host: str, local_port: int, call_id: str) -> bytes:
    branch = "z9hG4bK" + secrets.token_hex(8)
    tag = secrets.token_hex(4)
    target = f"sip:{host}:{port}"
    lines = [
        f"OPTIONS {target} SIP/2.0",
        f"Via: SIP/2.0/UDP {local_host}:{local_port};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:xivo-ha-monitor@{local_host}>;tag={tag}",
        f"To: <{target}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:xivo-ha-monitor@{local_host}:{local_port}>",
        "Accept: application/sdp",
        "User-Agent: xivo-ha-monitor",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


SIP_RETRANSMIT = 0.1


def sip_options(host: str, port: int, timeout: float) -> tuple[bool, str]:
    """Sends a SIP OPTIONS over UDP; any `SIP/2.0 NNN` answer to our Call-ID
    within the timeout means the master's SIP stack is alive (even 404/403:
    a live Asterisk answers, a dead one does not)."""
    deadline = time.monotonic() + timeout
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, kind, proto) as sock:
            # connect(): fixes our source address for Via, and an ICMP port
            # unreachable then fails the recv at once instead of waiting.
            sock.connect(address)
            local_host, local_port = sock.getsockname()[:2]
            call_id = f"{secrets.token_hex(12)}@xivo-ha"
            request = sip_options_request(host, port, local_host, local_port, call_id)
            # Retransmitted within the timeout, as a SIP client over UDP
            # does (RFC 3261 timer E, here at a fixed short step): on a
            # lossy link one lost datagram must not fail the attempt.
            next_send = time.monotonic()
            while True:
                now = time.monotonic()
                if now >= deadline:
                    return False, f"no SIP answer within {timeout:g} s"
                if now >= next_send:
                    sock.send(request)
                    next_send = now + SIP_RETRANSMIT
                sock.settimeout(max(0.001, min(deadline, next_send) - now))
                try:
                    data = sock.recv(65535)
                except socket.timeout:
                    continue
                text = data.decode("utf-8", "replace")
                if text.startswith("SIP/2.0 ") and call_id in text:
                    return True, text.split("\r\n", 1)[0]
    except ConnectionRefusedError:
        return False, "SIP port unreachable (nothing listens)"
    except OSError as e:
        return False, f"SIP probe failed: {e.strerror or e}"


class RealProber:
    """Runs the probes of one attempt in parallel so an attempt lasts about
    probe_timeout, not the sum of its probes."""

    def __init__(self, config: Config):
        self.config = config

    def probe_master(self, kinds: list[str]) -> ProbeResult:
        m = self.config.monitor
        timeout = float(m["probe_timeout"])
        ping_proc = start_ping(self.config.master, timeout) if "icmp" in kinds else None
        passed: dict[str, bool] = {}
        detail: dict[str, str] = {}
        if "sip" in kinds or "telephony-ready" in kinds:
            passed["sip"], detail["sip"] = sip_options(self.config.master, int(m["sip_port"]), timeout)
        if "ssh" in kinds or ("telephony-ready" in kinds and not passed["sip"]):
            ok, status, why = self.master_status(timeout)
            if "ssh" in kinds:
                passed["ssh"] = ok
            if not ok:
                detail["ssh"] = why
            if "telephony-ready" in kinds:
                held = ha_state_of(status) == MASTER_HELD
                passed["telephony-ready"] = passed["sip"] or held
                if not passed["telephony-ready"]:
                    detail["telephony-ready"] = f"{detail['sip']}, and the master's guard does not hold its telephony ({why or 'state ' + repr(ha_state_of(status))})"
        elif "telephony-ready" in kinds:
            passed["telephony-ready"] = True
        if ping_proc is not None:
            passed["icmp"] = wait_ping(ping_proc, timeout)
            if not passed["icmp"]:
                detail["icmp"] = f"no echo reply within {timeout:g} s"
        return ProbeResult(passed, {k: v for k, v in detail.items() if not passed.get(k, False)})

    def master_status(self, timeout: float) -> tuple[bool, Any, str]:
        """The master's HA state through its forced command (`status` prints
        its monitor-state.json, written there by xivo-ha-guard)."""
        try:
            done = subprocess.run(self.config.ssh_argv("failback_key", ["status"]),
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout + 5, check=False)
        except subprocess.TimeoutExpired:
            return False, None, "ssh status timed out"
        except OSError as e:
            return False, None, f"ssh: {e.strerror}"
        if done.returncode != 0:
            return False, None, f"ssh status exited {done.returncode}: {tail(done.stderr)}"
        try:
            return True, json.loads(done.stdout or b"null"), ""
        except json.JSONDecodeError:
            return True, None, "the master's status is not JSON"

    def probe_witness(self, address: str) -> bool:
        # Three quick echoes: one lost packet must not hold a takeover back.
        return ping(address, float(self.config.monitor["probe_timeout"]), count=3)


def tail(data: bytes | str | None, limit: int = 400) -> str:
    if not data:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text.strip()[-limit:]


# ---------------------------------------------------------------- commands

@dataclass
class CommandResult:
    rc: int
    output: str


def run_command(argv: list[str], timeout: float) -> CommandResult:
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, check=False)
        return CommandResult(done.returncode, tail(done.stdout))
    except FileNotFoundError:
        return CommandResult(127, f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired as e:
        return CommandResult(124, f"timed out after {timeout:g} s: {tail(e.output)}")
    except OSError as e:
        return CommandResult(126, f"{argv[0]}: {e.strerror}")


# ---------------------------------------------------------------- state file and lock

def write_json_atomically(path: str, value: Any, mode: int = 0o600, durable: bool = True) -> None:
    """Temp file beside the target, rename: a reader sees the old or the new
    file, never half of one. durable adds the fsyncs that make it survive a
    power cut too (transitions); probe records every second skip them."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), mode)
            json.dump(value, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if not durable:
        return
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError):
        return None


@contextlib.contextmanager
def ha_lock(path: str, timeout: float, clock: Any) -> Iterator[bool]:
    """flock on the HA lock, shared with replication and manual commands.
    Yields False when the lock could not be had within timeout: a takeover
    goes on without it rather than leave the users without telephony."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = clock.monotonic() + timeout
        locked = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = True
                break
            except OSError as e:
                if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            if clock.monotonic() >= deadline:
                break
            clock.sleep(0.5)
        yield locked
    finally:
        os.close(fd)  # closing drops the flock


# ---------------------------------------------------------------- the state machine

def log(message: str) -> None:
    # stdout goes to the journal; one line per event.
    print(message, file=sys.stdout, flush=True)


class Monitor:
    """The slave's view of its master, and the actions on state transitions.

    Decisions: in standby, a round of probes_per_round attempts probe_spacing
    apart fails when every attempt found the master's down_probe failing; a
    round with any success resets the count (a lossy link never adds up to a
    takeover). rounds_to_takeover failed rounds in a row -> takeover, only
    while the witness (if any) answers. Flap damping: an outage the link has
    already recovered from within flap_memory is no evidence of death, so the
    count needed grows by the longest such outage, up to
    max_rounds_to_takeover (which bounds the takeover time). In active, failback once every ready
    probe has passed continuously for stable_period.
    """

    def __init__(self, config: Config, prober: Any, clock: Any,
                 run: Callable[[list[str], float], CommandResult] = run_command,
                 telephony_running: Callable[[], bool] | None = None):
        self.config = config
        self.m = config.monitor
        self.prober = prober
        self.clock = clock
        self.run = run
        self.telephony_running = telephony_running or (
            lambda: run(list(self.m["telephony_check"]), 30).rc == 0)
        self.state: dict[str, Any] = {}
        self.stopping = False

    # ---- persistence

    def save(self, durable: bool = True) -> None:
        self.state["updated_at"] = iso(self.clock.now())
        write_json_atomically(self.config.paths["state_file"], self.state, durable=durable)

    def paused(self) -> bool:
        return os.path.exists(self.config.paths["paused_file"])

    def pause_allows_manual(self) -> bool:
        """`xivo-ha upgrade --switchover` pauses with manual_switches: its own
        planned failover and failback go through, automatic actions do not."""
        doc = read_json(self.config.paths["paused_file"])
        return isinstance(doc, dict) and doc.get("manual_switches") is True

    def request_waiting(self) -> bool:
        return os.path.exists(self.config.paths["request_file"])

    def wait(self, seconds: float) -> bool:
        """Sleeps, but returns early (True) when a manual request arrives: a
        planned switch must not wait for the next round of the default
        profile's 60 s."""
        end = self.clock.monotonic() + seconds
        while True:
            if self.request_waiting():
                return True
            remaining = end - self.clock.monotonic()
            if remaining <= 0:
                return False
            self.clock.sleep(min(REQUEST_POLL, remaining))

    def start(self) -> None:
        """Start rule: stay active only when the saved state says the slave
        was in charge AND its telephony still runs (the monitor restarted
        under a running takeover); anything else starts in standby."""
        saved = read_json(self.config.paths["state_file"])
        saved = saved if isinstance(saved, dict) else {}
        was_in_charge = saved.get("state") in (ACTIVE, FAILING_BACK)
        running = self.telephony_running()
        now = self.clock.now()
        self.state = {
            "version": 1,
            "node": self.config.node.get("name"),
            "master": self.config.master,
            "profile": self.m["profile"],
            "state": None,
            "since": iso(now),
            "reason": "monitor started",
            "active_since": None,
            "paused": self.paused(),
            "counters": {"failed_rounds": 0, "healthy_since": None, "takeovers": 0, "failbacks": 0,
                         "telephony_restarts": 0},
            "last_probe": None,
            "witness": None,
            "grace_until": None,
            "last_actions": [],
            "failed_actions": [],
            "copyback": None,
            "warnings": [],
            "history": saved.get("history", [])[-HISTORY_LENGTH:] if isinstance(saved.get("history"), list) else [],
        }
        for key in ("copyback", "failed_actions", "last_actions"):
            if key in saved:
                self.state[key] = saved[key]
        if isinstance(saved.get("recovered_outage"), dict):
            # Flap damping outlives a restart: rounds_needed() forgets it after flap_memory.
            self.state["recovered_outage"] = saved["recovered_outage"]
        if was_in_charge and running and isinstance(saved.get("manual"), dict):
            # A restart must not turn a held maintenance switch into an automatic one.
            self.state["manual"] = saved["manual"]
        counters = saved.get("counters")
        if isinstance(counters, dict):
            for key in ("takeovers", "failbacks", "telephony_restarts"):
                if isinstance(counters.get(key), int):
                    self.state["counters"][key] = counters[key]
        if was_in_charge and running:
            self.state["active_since"] = saved.get("active_since") or saved.get("since")
            self.transition(ACTIVE, f"monitor restarted while in charge (saved state {saved['state']}) and telephony running")
        else:
            reason = "monitor started"
            if was_in_charge:
                reason = f"monitor started: saved state {saved['state']} but telephony is not running"
            if running:
                warning = "telephony is running on a standby slave: both nodes may answer calls"
                self.state["warnings"].append(warning)
                log(f"WARNING {warning}")
            self.transition(STANDBY, reason)

    def transition(self, to: str, reason: str) -> None:
        now = self.clock.now()
        before = self.state.get("state")
        self.state.update({"state": to, "since": iso(now), "reason": reason})
        if to == ACTIVE and before != ACTIVE:
            self.state["active_since"] = self.state.get("active_since") or iso(now)
        if to == STANDBY:
            self.state["active_since"] = None
            self.state.pop("manual", None)
        self.state["counters"]["healthy_since"] = None
        self.state["history"] = [*self.state["history"], {"at": iso(now), "from": before, "to": to, "reason": reason}][-HISTORY_LENGTH:]
        log(f"{iso(now)} {before or '(start)'} -> {to}: {reason}")
        self.save()

    def note(self, key: str, value: Any) -> None:
        self.state[key] = value
        self.save(durable=False)

    # ---- the loop

    def run_forever(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        self.start()
        while not should_stop() and not self.stopping:
            self.tick()

    def tick(self) -> None:
        self.state["paused"] = self.paused()
        if self.request_waiting():
            self.handle_request()
            return
        if self.state["state"] == STANDBY:
            self.standby_round()
        else:
            self.active_probe()

    def probe(self, kinds: list[str]) -> ProbeResult:
        result = self.prober.probe_master(kinds)
        self.state["last_probe"] = {"at": iso(self.clock.now()), **result.to_json()}
        return result

    def standby_round(self) -> None:
        started = self.clock.monotonic()
        down_probe = self.m["down_probe"]
        kinds = sorted({down_probe, "icmp"})
        alive = False
        for attempt in range(int(self.m["probes_per_round"])):
            if attempt > 0 and self.wait(float(self.m["probe_spacing"])):
                return  # a manual request: this round is not counted
            if self.probe(kinds).ok(down_probe):
                alive = True
                break
        counters = self.state["counters"]
        grace_until = self.state.get("grace_until")
        if alive:
            if counters["failed_rounds"] > 0:
                self.remember_recovered_outage(counters["failed_rounds"])
            counters["failed_rounds"] = 0
        elif grace_until is not None and self.clock.now() < grace_until:
            # Just failed back: the master is still starting its telephony.
            counters["failed_rounds"] = 0
        else:
            counters["failed_rounds"] += 1
            if self.m["witness"] and counters["failed_rounds"] < self.rounds_needed() and not self.witness_reachable():
                # Isolated: failures seen now say nothing of the master. A
                # partial count must not carry over either: two rounds failed
                # in isolation plus one slow probe as the link returns made a
                # takeover in the lab while the master was fine.
                counters["failed_rounds"] = 0
        if counters["failed_rounds"] >= self.rounds_needed():
            self.consider_takeover()
        else:
            self.save(durable=False)
        self.wait(started + float(self.m["interval"]) - self.clock.monotonic())

    def remember_recovered_outage(self, rounds: int) -> None:
        """Keeps the longest outage the master came back from, for flap_memory seconds."""
        now = self.clock.now()
        kept = self.state.get("recovered_outage")
        if not isinstance(kept, dict) or now - float(kept.get("epoch", 0)) > float(self.m["flap_memory"]) \
                or rounds >= int(kept.get("rounds", 0)):
            self.state["recovered_outage"] = {"rounds": rounds, "epoch": now, "at": iso(now)}

    def rounds_needed(self) -> int:
        """rounds_to_takeover, plus the longest recovered outage still remembered, capped."""
        base = int(self.m["rounds_to_takeover"])
        cap = max(base, int(self.m["max_rounds_to_takeover"]))
        kept = self.state.get("recovered_outage")
        if not isinstance(kept, dict) or self.clock.now() - float(kept.get("epoch", 0)) > float(self.m["flap_memory"]):
            self.state.pop("recovered_outage", None)
            return base
        return min(cap, base + int(kept.get("rounds", 0)))

    def witness_reachable(self) -> bool:
        """Probes the witness, records the answer, and says once when it stops answering."""
        witness = self.m["witness"]
        reachable = self.prober.probe_witness(witness)
        previous = self.state.get("witness") or {}
        self.state["witness"] = {"address": witness, "ok": reachable, "at": iso(self.clock.now())}
        if not reachable and previous.get("ok", True):
            log(f"{iso(self.clock.now())} takeover withheld: witness {witness} unreachable, this slave may be the isolated one")
        return reachable

    def consider_takeover(self) -> None:
        rounds = self.state["counters"]["failed_rounds"]
        detail = (self.state.get("last_probe") or {}).get("detail", {})
        why = detail.get(self.m["down_probe"]) or "master down"
        reason = f"master {self.config.master} down for {rounds} round(s): {why}"
        witness = self.m["witness"]
        if witness:
            if not self.witness_reachable():
                # Failures seen while isolated say nothing of the master: when
                # the link returns, one slow first probe must not complete a
                # count built up in isolation (the lab showed that takeover).
                self.state["counters"]["failed_rounds"] = 0
                self.save(durable=False)
                return
            reason += f"; witness {witness} answers"
        if self.paused():
            self.note("pending", f"would take over: {reason} (paused)")
            return
        self.state.pop("pending", None)
        self.takeover(reason)

    def active_probe(self) -> None:
        started = self.clock.monotonic()
        ready = list(self.m["ready_probes"])
        result = self.probe(ready)
        counters = self.state["counters"]
        if result.all_ok(ready):
            if counters["healthy_since"] is None:
                counters["healthy_since"] = self.clock.now()
            healthy_for = self.clock.now() - counters["healthy_since"]
            if healthy_for >= float(self.m["stable_period"]):
                reason = f"master {self.config.master} passed {', '.join(ready)} for {healthy_for:.0f} s"
                manual = self.state.get("manual")
                if isinstance(manual, dict):
                    # The master is held on purpose (maintenance): only
                    # `xivo-ha failback` ends a manual failover.
                    self.note("pending", f"would fail back: {reason}; held by the manual failover by "
                                         f"{manual.get('by', '?')} until `xivo-ha failback`")
                elif self.paused():
                    self.note("pending", f"would fail back: {reason} (paused)")
                else:
                    self.state.pop("pending", None)
                    self.failback(reason)
                    return
        else:
            counters["healthy_since"] = None
        self.keep_telephony_running()
        self.save(durable=False)
        self.wait(started + float(self.m["active_probe_interval"]) - self.clock.monotonic())

    def keep_telephony_running(self) -> None:
        """A slave in charge carries the calls: when its telephony is found
        stopped, start it again (rate-limited), unless paused (an operator at
        work: then only say so)."""
        if self.telephony_running():
            self.state.pop("telephony_restart_at", None)
            return
        if self.paused():
            self.note("pending", TELEPHONY_STOPPED_NOTE)
            return
        now = self.clock.now()
        last = self.state.get("telephony_restart_at")
        gap = TELEPHONY_RESTART_GAP_INTERVALS * float(self.m["active_probe_interval"])
        if isinstance(last, (int, float)) and now - last < gap:
            return
        self.state["telephony_restart_at"] = now
        if self.state.get("pending") == TELEPHONY_STOPPED_NOTE:
            self.state.pop("pending")
        counters = self.state["counters"]
        counters["telephony_restarts"] += 1
        log(f"{iso(now)} telephony is not running on this slave in charge: starting it again")
        self.run_phase("telephony_restart")
        self.save()

    # ---- transitions with actions

    def takeover(self, reason: str) -> None:
        with ha_lock(self.config.paths["ha_lock"], float(self.m["lock_timeout"]), self.clock) as locked:
            if not locked:
                log(f"WARNING the HA lock {self.config.paths['ha_lock']} was busy for {self.m['lock_timeout']} s: taking over without it")
            self.state["counters"]["takeovers"] += 1
            self.state["counters"]["failed_rounds"] = 0
            self.state["last_actions"] = []
            self.state["failed_actions"] = []
            # Saved before any action: the master's guard must see "active"
            # as soon as the slave starts taking over.
            self.transition(ACTIVE, reason)
            self.run_phase("takeover")
            self.run_phase("after_takeover")
            self.save()

    def failback(self, reason: str) -> bool:
        """False when postponed because the HA lock is busy."""
        with ha_lock(self.config.paths["ha_lock"], float(self.m["lock_timeout"]), self.clock) as locked:
            if not locked:
                log(f"{iso(self.clock.now())} failback postponed: the HA lock is busy")
                return False
            self.state["last_actions"] = []
            self.state["failed_actions"] = []
            self.transition(FAILING_BACK, reason)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.config.paths["copyback_result"])
            self.run_phase("before_failback")
            self.state["copyback"] = read_json(self.config.paths["copyback_result"])
            self.run_phase("failback")
            self.state["counters"]["failbacks"] += 1
            self.state["grace_until"] = self.clock.now() + float(self.m["failback_grace"])
            self.transition(STANDBY, "failback done: the master resumes telephony")
            self.run_phase("after_failback")
            self.save()
            return True

    # ---- manual requests (xivo-ha failover / failback)

    def take_request(self) -> dict[str, Any] | None:
        """The waiting request, now ours; None when the client gave up first."""
        path = self.config.paths["request_file"]
        taken = path + ".taken"
        try:
            os.replace(path, taken)
        except FileNotFoundError:
            return None
        request = read_json(taken)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(taken)
        return request if isinstance(request, dict) else {}

    def handle_request(self) -> None:
        request = self.take_request()
        if request is None:
            return
        action, by = request.get("action"), str(request.get("by") or "unknown")
        log(f"{iso(self.clock.now())} manual request: {action} by {by}")
        ok, message = self.perform_request(action, by)
        log(f"{iso(self.clock.now())} manual {action}: {'done' if ok else 'refused or failed'}: {message}")
        write_json_atomically(self.config.paths["request_result"], {
            "id": request.get("id"), "action": action, "by": by, "ok": ok, "message": message,
            "state": self.state.get("state"), "at": iso(self.clock.now()),
            "failed_actions": self.state.get("failed_actions", []),
        })

    def perform_request(self, action: Any, by: str) -> tuple[bool, str]:
        state = self.state.get("state")
        if action not in REQUEST_ACTIONS:
            return False, f"unknown request {action!r} (known: {', '.join(REQUEST_ACTIONS)})"
        if self.paused() and not self.pause_allows_manual():
            return False, f"the monitor is paused ({self.config.paths['paused_file']}): run `xivo-ha resume` first"
        if action == "takeover":
            if state != STANDBY:
                return False, f"this slave is {state}, not standby: nothing to take over"
            self.state["manual"] = {"by": by, "at": iso(self.clock.now())}
            self.takeover(f"manual failover by {by}")
            return self.actions_outcome("takeover")
        if state != ACTIVE:
            return False, f"this slave is {state}, not active: nothing to fail back"
        if not self.probe(["icmp"]).ok("icmp"):
            return False, f"the master {self.config.master} does not answer ping: it cannot resume telephony"
        if not self.failback(f"manual failback by {by}"):
            return False, f"the HA lock {self.config.paths['ha_lock']} stayed busy for {self.m['lock_timeout']} s (a replication?): try again"
        return self.actions_outcome("failback")

    def actions_outcome(self, what: str) -> tuple[bool, str]:
        failed = self.state.get("failed_actions") or []
        if failed:
            names = "; ".join(f"{' '.join(a['argv'])} (rc {a['rc']})" for a in failed)
            return False, f"{what} done with failed actions: {names}"
        return True, f"{what} done: this slave is now {self.state.get('state')}"

    def run_phase(self, phase: str) -> None:
        for argv in self.config.actions[phase]:
            self.run_action(phase, argv)

    def run_action(self, phase: str, argv: list[str]) -> None:
        """A failing command is retried a bounded number of times, then
        reported; it never undoes the transition (half a takeover beats none)."""
        attempts = int(self.m["action_retries"]) + 1
        result = CommandResult(1, "")
        for attempt in range(1, attempts + 1):
            result = self.run(argv, float(self.m["action_timeout"]))
            log(f"{iso(self.clock.now())} {phase}: {' '.join(argv)} -> rc {result.rc}"
                + (f" (attempt {attempt}/{attempts})" if attempt > 1 or result.rc != 0 else ""))
            if result.rc == 0:
                break
            if attempt < attempts:
                self.clock.sleep(float(self.m["action_retry_delay"]))
        record = {"phase": phase, "argv": argv, "rc": result.rc, "attempts": attempt,
                  "at": iso(self.clock.now()), "output": result.output}
        self.state["last_actions"].append(record)
        if result.rc != 0:
            self.state["failed_actions"].append(record)
        self.save()


def send_request(config: Config, action: str, by: str, timeout: float,
                 pickup_timeout: float, clock: Any = None) -> tuple[int, dict[str, Any]]:
    """Asks the running daemon to perform a manual transition and waits for
    its result. Exit codes: 0 done, 1 refused or failed, 3 the daemon did not
    take the request (not running?) or gave no result in time."""
    clock = clock or RealClock()
    paths = config.paths
    request_id = secrets.token_hex(8)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(paths["request_result"])
    write_json_atomically(paths["request_file"], {"id": request_id, "action": action, "by": by, "at": iso(clock.now())})
    started = clock.monotonic()
    taken = False
    while True:
        result = read_json(paths["request_result"])
        if isinstance(result, dict) and result.get("id") == request_id:
            return (0 if result.get("ok") else 1), result
        waited = clock.monotonic() - started
        if not taken and os.path.exists(paths["request_file"]):
            if waited >= pickup_timeout:
                try:
                    os.unlink(paths["request_file"])
                except FileNotFoundError:
                    taken = True  # the daemon took it at the last moment
                else:
                    return 3, {"id": request_id, "action": action, "ok": False,
                               "message": f"the monitor did not take the request within {pickup_timeout:g} s: is xivo-ha-monitor.service running?"}
        else:
            taken = True
        if waited >= timeout:
            return 3, {"id": request_id, "action": action, "ok": False,
                       "message": f"the monitor took the request but gave no result within {timeout:g} s (journalctl -u xivo-ha-monitor)"}
        clock.sleep(REQUEST_POLL)


def request_main(args: list[str]) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="xivo-ha-monitor request",
                                     description="ask the running monitor for a manual takeover or failback")
    parser.add_argument("action", choices=REQUEST_ACTIONS)
    parser.add_argument("config", nargs="?")
    parser.add_argument("--by", default=os.environ.get("SUDO_USER") or os.environ.get("USER") or "root")
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait for the result")
    parser.add_argument("--pickup-timeout", type=float, default=30.0)
    ns = parser.parse_args(args)
    try:
        config = load_config(config_path(ns.config))
    except ConfigError as e:
        print(f"xivo-ha-monitor: {e}", file=sys.stderr)
        return 2
    phases = ("takeover", "after_takeover") if ns.action == "takeover" else ("before_failback", "failback", "after_failback")
    commands = sum(len(config.actions[p]) for p in phases)
    m = config.monitor
    bound = ns.timeout if ns.timeout is not None else (
        float(m["lock_timeout"]) + 30 + commands * (int(m["action_retries"]) + 1) * (float(m["action_timeout"]) + float(m["action_retry_delay"])))
    rc, result = send_request(config, ns.action, ns.by, bound, ns.pickup_timeout)
    print(json.dumps(result, sort_keys=True), flush=True)
    return rc


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "request":
        return request_main(argv[2:])
    path = config_path(argv[1] if len(argv) > 1 else None)
    try:
        config = load_config(path)
    except ConfigError as e:
        print(f"xivo-ha-monitor: {e}", file=sys.stderr)
        return 2
    monitor = Monitor(config, RealProber(config), RealClock())
    import signal

    def stop(_signum: int, _frame: Any) -> None:
        log("xivo-ha-monitor: stopping")
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    monitor.run_forever()
    return 0
