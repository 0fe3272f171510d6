#!/usr/bin/env python3
# Lab stand-in for the Asterisk of a XiVO MDS (media server) as seen by the
# Main: a SIP registrar on UDP 5060. It answers REGISTER and OPTIONS with
# 200 OK and records every REGISTER in
# /var/lib/xivo-ha-lab/mds-registrations.json (written atomically):
#   {"bindings": {USER: {"user", "contact", "source", "registered_at",
#                        "expires", "expires_at"}},
#    "history":  [{"time", "user", "contact", "source", "expires"}, ...]}
# A REGISTER with Expires: 0 removes the binding (history keeps it).
# Standard library only.
import json
import os
import re
import socket
import time
import uuid

PORT = 5060
STATE = "/var/lib/xivo-ha-lab/mds-registrations.json"
HISTORY_MAX = 500
SERVER = f"xivo-ha-lab mds registrar on {socket.gethostname()}"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def load():
    try:
        with open(STATE) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return {"bindings": {}, "history": []}


def save(state):
    os.makedirs(os.path.dirname(STATE), exist_ok=True)
    tmp = f"{STATE}.tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, STATE)


def parse(data):
    text = data.decode("utf-8", "replace")
    lines = text.split("\r\n\r\n", 1)[0].split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 3 or not parts[2].startswith("SIP/"):
        return None, []
    headers = []
    for line in lines[1:]:
        if ":" in line:
            n, v = line.split(":", 1)
            headers.append((n.strip(), v.strip()))
    return parts[0], headers


def header(headers, *names):
    for n, v in headers:
        if n.lower() in names:
            return v
    return None


def response(headers, extra):
    keep = [(n, v) for n, v in headers if n.lower() in ("via", "v", "from", "f", "call-id", "i", "cseq")]
    lines = ["SIP/2.0 200 OK"] + [f"{n}: {v}" for n, v in keep]
    to = header(headers, "to", "t")
    if to:
        lines.append(f"To: {to}" + ("" if ";tag=" in to else f";tag={uuid.uuid4().hex[:8]}"))
    lines += extra + [f"Server: {SERVER}", "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def user_of(uri_header):
    m = re.search(r"sips?:([^@;>]+)@", uri_header or "")
    return m.group(1) if m else "unknown"


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", PORT))
    print(f"listening on UDP {PORT}", flush=True)
    while True:
        data, peer = sock.recvfrom(65535)
        method, headers = parse(data)
        if method is None or method == "ACK":
            continue
        extra = []
        if method == "REGISTER":
            now = time.time()
            user = user_of(header(headers, "to", "t"))
            contact = header(headers, "contact", "m") or ""
            expires = int(header(headers, "expires") or 3600)
            state = load()
            state["history"] = (state["history"] + [{
                "time": iso(now), "user": user, "contact": contact,
                "source": f"{peer[0]}:{peer[1]}", "expires": expires,
            }])[-HISTORY_MAX:]
            if expires == 0:
                state["bindings"].pop(user, None)
            else:
                state["bindings"][user] = {
                    "user": user, "contact": contact, "source": f"{peer[0]}:{peer[1]}",
                    "registered_at": iso(now), "expires": expires, "expires_at": iso(now + expires),
                }
                extra = [f"Contact: {contact};expires={expires}", f"Expires: {expires}"]
            save(state)
            print(f"REGISTER {user} from {peer[0]} expires={expires}", flush=True)
        sock.sendto(response(headers, extra), peer)


if __name__ == "__main__":
    main()
