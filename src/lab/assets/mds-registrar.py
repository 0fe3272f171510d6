#!/usr/bin/env python3
# Lab stand-in for the Asterisk of a XiVO MDS (media server) as seen by the
# Main: a SIP registrar on UDP 5060. It answers REGISTER and OPTIONS with
# 200 OK and records every REGISTER in
# /var/lib/xivo-ha-lab/mds-registrations.json (written atomically):
#   {"bindings": {USER: {"user", "contact", "source", "registered_at",
#                        "expires", "expires_at"}},
#    "history":  [{"time", "user", "contact", "source", "expires"}, ...]}
# A REGISTER with Expires: 0 removes the binding (history keeps it).
# With /etc/xivo-ha-lab/mds-auth.json ({"username", "password"}), it asks
# every REGISTER for digest credentials, as an Asterisk MDS whose trunk
# endpoint has an auth section does: 401 with a fresh nonce (MD5, qop auth)
# until a REGISTER answers one of its nonces with the right response; the
# binding and the history say "authenticated". Standard library only.
import hashlib
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
AUTH = "/etc/xivo-ha-lab/mds-auth.json"
REALM = "xivo-ha-lab-mds"
issued_nonces = []


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


def response(headers, extra, status="200 OK"):
    keep = [(n, v) for n, v in headers if n.lower() in ("via", "v", "from", "f", "call-id", "i", "cseq")]
    lines = [f"SIP/2.0 {status}"] + [f"{n}: {v}" for n, v in keep]
    to = header(headers, "to", "t")
    if to:
        lines.append(f"To: {to}" + ("" if ";tag=" in to else f";tag={uuid.uuid4().hex[:8]}"))
    lines += extra + [f"Server: {SERVER}", "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def user_of(uri_header):
    m = re.search(r"sips?:([^@;>]+)@", uri_header or "")
    return m.group(1) if m else "unknown"


def credentials():
    try:
        with open(AUTH) as f:
            data = json.load(f)
        return data["username"], data["password"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def digest_fields(value):
    scheme, _, rest = (value or "").partition(" ")
    if scheme.lower() != "digest":
        return {}
    return {k.lower(): v if v else bare for k, v, bare in re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]+))', rest)}


def authenticated(headers, creds):
    f = digest_fields(header(headers, "authorization"))
    username, password = creds
    if f.get("nonce") not in issued_nonces or f.get("username") != username or f.get("qop") != "auth":
        return False
    ha1 = hashlib.md5(f"{username}:{REALM}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"REGISTER:{f.get('uri', '')}".encode()).hexdigest()
    expected = hashlib.md5(f"{ha1}:{f['nonce']}:{f.get('nc', '')}:{f.get('cnonce', '')}:auth:{ha2}".encode()).hexdigest()
    return f.get("response") == expected


def challenge():
    nonce = uuid.uuid4().hex
    issued_nonces.append(nonce)
    del issued_nonces[:-100]
    return [f'WWW-Authenticate: Digest realm="{REALM}", nonce="{nonce}", algorithm=MD5, qop="auth"']


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
        creds = credentials() if method == "REGISTER" else None
        if creds and not authenticated(headers, creds):
            print(f"REGISTER from {peer[0]}: challenged", flush=True)
            sock.sendto(response(headers, challenge(), "401 Unauthorized"), peer)
            continue
        if method == "REGISTER":
            now = time.time()
            user = user_of(header(headers, "to", "t"))
            contact = header(headers, "contact", "m") or ""
            expires = int(header(headers, "expires") or 3600)
            state = load()
            state["history"] = (state["history"] + [{
                "time": iso(now), "user": user, "contact": contact,
                "source": f"{peer[0]}:{peer[1]}", "expires": expires, "authenticated": creds is not None,
            }])[-HISTORY_MAX:]
            if expires == 0:
                state["bindings"].pop(user, None)
            else:
                state["bindings"][user] = {
                    "user": user, "contact": contact, "source": f"{peer[0]}:{peer[1]}",
                    "registered_at": iso(now), "expires": expires, "expires_at": iso(now + expires),
                    "authenticated": creds is not None,
                }
                extra = [f"Contact: {contact};expires={expires}", f"Expires: {expires}"]
            save(state)
            print(f"REGISTER {user} from {peer[0]} expires={expires}", flush=True)
        sock.sendto(response(headers, extra), peer)


if __name__ == "__main__":
    main()
