#!/usr/bin/env python3
# Lab stand-in for XiVO CC's xuc (the CTI server, a docker container on a real
# CC), run as xuc.service. On each start it appends one line to
# /var/log/xivocc/xuc-starts.log: "ISO-TIME start xivo_host=ADDRESS", the
# address read from XIVO_HOST in /etc/docker/xivocc/.env (as a real xuc reads
# its XiVO from the compose environment), then idles until stopped.
import os
import signal
import time

LOG = "/var/log/xivocc/xuc-starts.log"
ENV = "/etc/docker/xivocc/.env"


def xivo_host():
    try:
        with open(ENV) as f:
            for line in f:
                if line.startswith("XIVO_HOST="):
                    return line.split("=", 1)[1].strip()
    except FileNotFoundError:
        pass
    return ""


def main():
    os.makedirs(os.path.dirname(LOG), exist_ok=True)
    t = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"
    with open(LOG, "a") as f:
        f.write(f"{stamp} start xivo_host={xivo_host()}\n")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
