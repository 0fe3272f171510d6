// The environment every timed command runs in (the three tools and the SSH
// floor alike): what a root login on a stock Debian 12 has, whatever the shell
// that started the bench exported. A caller's exports change what is timed,
// and not equally: NODE_EXTRA_CA_CERTS, for one, makes Node 20 parse that CA
// bundle at every start (about 40 ms on this kind of machine), though xivo-ha
// opens no TLS connection; Python and OpenSSH ignore it. --inherit-env times
// the tools in the caller's environment instead (docs/bench.md).

import { userInfo } from 'node:os';

/** login(1)'s PATH for root on Debian (ENV_SUPATH in /etc/login.defs). */
export const DEBIAN_ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A login's variables: PATH, HOME, SHELL, USER, LOGNAME, and Debian's default locale. */
export function loginEnvironment(user = userInfo()) {
  return {
    PATH: DEBIAN_ROOT_PATH,
    HOME: user.homedir,
    SHELL: user.shell ?? '/bin/sh',
    USER: user.username,
    LOGNAME: user.username,
    LANG: 'C.UTF-8',
  };
}

/** The base environment of the timed commands, from the options, and how the report names it. */
export function timedEnvironment({ inheritEnv }, inherited = process.env) {
  if (inheritEnv) return { env: { ...inherited }, description: "the caller's, inherited (--inherit-env)" };
  const env = loginEnvironment();
  return { env, description: `a root login's on stock Debian (${Object.keys(env).join(', ')}; nothing else the caller exported)` };
}
