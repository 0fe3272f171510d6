// Installs the Debian packages the bench needs, only when missing.

import { spawnSync } from 'node:child_process';
import { runSync } from './proc.mjs';

export function packagesFor(tools) {
  const pkgs = ['openssh-server', 'openssh-client', 'tar', 'python3'];
  if (tools.includes('ansible') || tools.includes('mitogen')) pkgs.push('ansible');
  if (tools.includes('mitogen')) pkgs.push('ansible-mitogen');
  return pkgs;
}

function installed(pkg) {
  const res = spawnSync('dpkg-query', ['-W', '-f', '${Status}', pkg], { encoding: 'utf8' });
  return res.status === 0 && res.stdout.includes('install ok installed');
}

export function ensurePackages(pkgs, log) {
  const missing = pkgs.filter((p) => !installed(p));
  if (missing.length === 0) return;
  log(`installing ${missing.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    runSync(['apt-get', 'install', '-y', '--no-install-recommends', ...missing], { env });
  } catch {
    runSync(['apt-get', 'update'], { env });
    runSync(['apt-get', 'install', '-y', '--no-install-recommends', ...missing], { env });
  }
}
