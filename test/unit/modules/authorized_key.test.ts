import { authorized_key } from '../../../src/modules/authorized_key.js';
import { table } from './table.js';

const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHY786FHSEM3oTN81OfaiZ9G peer@a';
const K2 = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 other@b';
const users = { xivo: { uid: 1001, gid: 1002 } };

table(authorized_key, [
  { name: 'adds a key to a new file, making ~/.ssh 0700 and the file 0600 owned by the user', args: { user: 'xivo', key: K1 }, host: { users, dirs: ['/home/xivo'] }, changes: [{ action: 'create', steps: ['mkdir', 'put'] }], files: { '/home/xivo/.ssh/authorized_keys': `${K1}\n` }, attrs: { '/home/xivo/.ssh': { mode: 0o700, owner: 'xivo' }, '/home/xivo/.ssh/authorized_keys': { mode: 0o600, owner: 'xivo', group: '1002' } } },
  { name: 'is in sync when the key is present', args: { user: 'root', key: K1 }, host: { files: { '/root/.ssh/authorized_keys': `# mine\n${K1}\n` } }, note: /in sync: the key is in/ },
  { name: 'appends a key, keeping other lines verbatim', args: { user: 'root', key: K2 }, host: { files: { '/root/.ssh/authorized_keys': `# mine\n${K1}\n` } }, changes: [{ action: 'update', summary: /authorize key other@b for root/ }], files: { '/root/.ssh/authorized_keys': `# mine\n${K1}\n${K2}\n` } },
  { name: 'writes a trailing space for a key without comment, as the collection does', args: { user: 'root', key: 'ssh-ed25519 AAAAbare' }, host: { dirs: ['/root/.ssh'] }, changes: [{ action: 'create' }], files: { '/root/.ssh/authorized_keys': 'ssh-ed25519 AAAAbare \n' } },
  { name: 'moves a key whose options changed to the end with the new options', args: { user: 'root', key: K1, key_options: 'no-pty,from="198.18.0.0/16"' }, host: { files: { '/root/.ssh/authorized_keys': `${K1}\n${K2}\n` } }, changes: [{ action: 'update' }], files: { '/root/.ssh/authorized_keys': `${K2}\nno-pty,from="198.18.0.0/16" ${K1}\n` } },
  { name: 'removes a key with state=absent', args: { user: 'root', key: K1, state: 'absent' }, host: { files: { '/root/.ssh/authorized_keys': `${K1}\n${K2}\n` } }, changes: [{ action: 'update', summary: /revoke/ }], files: { '/root/.ssh/authorized_keys': `${K2}\n` } },
  { name: 'keeps only the given keys with exclusive', args: { user: 'root', key: K2, exclusive: true }, host: { files: { '/root/.ssh/authorized_keys': `# c\n${K1}\n${K2}\n` } }, changes: [{ action: 'update' }], files: { '/root/.ssh/authorized_keys': `${K2}\n` } },
  { name: 'uses an explicit path and leaves the directory alone without manage_dir', args: { user: 'root', key: K1, path: '/base/root/.ssh/authorized_keys', manage_dir: false }, host: { dirs: ['/base/root/.ssh'] }, changes: [{ action: 'create', steps: ['put'] }] },
  { name: 'fails for an unknown user', args: { user: 'ghost', key: K1, path: '/x/keys' }, failed: /Failed to lookup user ghost/ },
  { name: 'asks for path when the home is not the assumed one', args: { user: 'pg', key: K1 }, host: { users: { pg: { uid: 5, gid: 5, home: '/var/lib/postgresql' } } }, failed: /set path: \/var\/lib\/postgresql\/.ssh\/authorized_keys/ },
]);
