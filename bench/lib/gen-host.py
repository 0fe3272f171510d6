#!/usr/bin/env python3
"""gen.py's reset or drift for one host of the workload only.

In the lab's 2-node case each node serves one host (xivo01 on master,
xivo02 on slave), so each runs the command for its own host: `gen.py drift`
for both would fail on the node where the other host was never applied.
Usage: gen-host.py WORKLOAD_DIR reset|drift HOSTS HOSTNAME
"""
import argparse
import sys

workload_dir, command, count, hostname = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, workload_dir)
import gen  # noqa: E402  (the workload's own helper, unchanged)

every_host = gen.resolve_hosts
gen.resolve_hosts = lambda n: [h for h in every_host(n) if h["hostname"] == hostname]
if not gen.resolve_hosts(count):
    sys.exit("gen-host.py: no host %s among %d" % (hostname, count))
{"reset": gen.reset, "drift": gen.drift}[command](argparse.Namespace(hosts=count))
