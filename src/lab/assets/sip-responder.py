#!/usr/bin/env python3
# Lab stand-in for Asterisk (the PBX of a XiVO node), run as asterisk.service.
# It does what health checks and tests can observe of a running Asterisk:
# - answers SIP OPTIONS and REGISTER on UDP 5060 with 200 OK (other requests:
#   501), with "Server: xivo-ha-lab asterisk on HOSTNAME" so a test knows
#   which node answered;
# - registers outbound trunks like sip.conf's `register =>` lines: each line
#   `register => USER@HOST[:PORT]` of /etc/asterisk/lab-registrations.conf is
#   sent a REGISTER (expires 120 s) at start and every 60 s, and an
#   unregister (Expires: 0) when the service stops.
# Standard library only.
import os
import signal
import socket
import sys
import threading
import time
import uuid

PORT = 5060
REGISTRATIONS_FILE = "/etc/asterisk/lab-registrations.conf"
EXPIRES = 120
HOSTNAME = socket.gethostname()
SERVER = f"xivo-ha-lab asterisk on {HOSTNAME}"


def log(text):
    print(text, flush=True)


def parse_request(data):
    text = data.decode("utf-8", "replace")
    head = text.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 3 or not parts[2].startswith("SIP/"):
        return None, {}
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip(), value.strip()))
    return parts[0], headers


def response(code, reason, headers):
    keep = [(n, v) for n, v in headers if n.lower() in ("via", "v", "from", "f", "call-id", "i", "cseq")]
    to = [v for n, v in headers if n.lower() in ("to", "t")]
    lines = [f"SIP/2.0 {code} {reason}"] + [f"{n}: {v}" for n, v in keep]
    if to:
        tag = "" if ";tag=" in to[0] else f";tag={uuid.uuid4().hex[:8]}"
        lines.append(f"To: {to[0]}{tag}")
    lines += [f"Server: {SERVER}", "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def read_registrations():
    targets = []
    try:
        with open(REGISTRATIONS_FILE) as f:
            for line in f:
                line = line.split(";", 1)[0].strip()
                if not line.startswith("register"):
                    continue
                spec = line.split("=>", 1)[-1].strip()
                user, _, hostport = spec.rpartition("@")
                host, _, port = hostport.partition(":")
                if user and host:
                    targets.append((user, host, int(port or 5060)))
    except FileNotFoundError:
        pass
    return targets


def local_address_towards(host):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect((host, 5060))
        return probe.getsockname()[0]
    finally:
        probe.close()


def send_register(sock, user, host, port, expires):
    try:
        me = local_address_towards(host)
    except OSError as e:
        log(f"register {user}@{host}:{port}: {e}")
        return
    call_id = f"{uuid.uuid4().hex}@{me}"
    msg = "\r\n".join([
        f"REGISTER sip:{host}:{port} SIP/2.0",
        f"Via: SIP/2.0/UDP {me}:{PORT};branch=z9hG4bK{uuid.uuid4().hex[:12]}",
        "Max-Forwards: 70",
        f"From: <sip:{user}@{host}>;tag={uuid.uuid4().hex[:8]}",
        f"To: <sip:{user}@{host}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 REGISTER",
        f"Contact: <sip:{user}@{me}:{PORT}>",
        f"Expires: {expires}",
        f"User-Agent: {SERVER}",
        "Content-Length: 0",
        "", "",
    ]).encode()
    try:
        sock.sendto(msg, (host, port))
        log(f"sent REGISTER {user}@{host}:{port} expires={expires}")
    except OSError as e:
        log(f"register {user}@{host}:{port}: {e}")


def register_loop(sock, stop):
    while not stop.is_set():
        for user, host, port in read_registrations():
            send_register(sock, user, host, port, EXPIRES)
        stop.wait(EXPIRES / 2)


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", PORT))
    stop = threading.Event()

    def on_term(signum, frame):
        stop.set()
        for user, host, port in read_registrations():
            send_register(sock, user, host, port, 0)
        log("stopped")
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    threading.Thread(target=register_loop, args=(sock, stop), daemon=True).start()
    log(f"listening on UDP {PORT}")
    while True:
        data, peer = sock.recvfrom(65535)
        method, headers = parse_request(data)
        if method is None or method == "ACK":
            continue
        if method in ("OPTIONS", "REGISTER"):
            sock.sendto(response(200, "OK", headers), peer)
        else:
            sock.sendto(response(501, "Not Implemented", headers), peer)


if __name__ == "__main__":
    sys.exit(main())
