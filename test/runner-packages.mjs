// The Debian packages `npm test` installs on the runner machine before
// anything else. Besides what the tests themselves call (sshd for the
// loopback hosts, ansible and ansible-mitogen for the compatibility test,
// PostgreSQL for the local replication test, shellcheck, nftables…), it
// holds the lab's own host packages (src/lab/base.ts HOST_PACKAGES; a unit
// test keeps the two in step): installed in the same apt-get run, they are
// there when the lab starts building its base image, which would otherwise
// pay a second `apt-get update` and install on the critical path of a fresh
// machine.
export const RUNNER_PACKAGES = [
  'openssh-server', 'openssh-client', 'rsync', 'shellcheck', 'python3', 'iproute2', 'nftables', 'iputils-ping',
  'ansible',
  // Without it the compatibility test falls back to Ansible's linear strategy: three times its CPU.
  'ansible-mitogen',
  'postgresql', 'util-linux',
  'debootstrap', 'systemd-container',
];
