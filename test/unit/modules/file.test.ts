import { file } from '../../../src/modules/file.js';
import { table } from './table.js';

table(file, [
  { name: 'creates a directory with its mode', args: { path: '/srv/app', state: 'directory', mode: '0750' }, host: { dirs: ['/srv'] }, changes: [{ action: 'create', steps: ['mkdir'] }], attrs: { '/srv/app': { type: 'directory', mode: 0o750 } } },
  { name: 'creates missing parents with the same mode, as Ansible does', args: { path: '/srv/a/b/c', state: 'directory', mode: '0700' }, host: { dirs: ['/srv'] }, changes: [{ action: 'create', summary: /and \/srv\/a, \/srv\/a\/b/ }], attrs: { '/srv/a': { mode: 0o700 }, '/srv/a/b': { mode: 0o700 }, '/srv/a/b/c': { mode: 0o700 } } },
  { name: 'fixes the mode of an existing directory', args: { path: '/srv', state: 'directory', mode: '0700' }, host: { dirs: ['/srv'] }, changes: [{ action: 'update', summary: /set mode 0700 \(was 0755\)/ }] },
  { name: 'is in sync for an existing directory', args: { path: '/srv', state: 'directory' }, host: { dirs: ['/srv'] }, note: /in sync: directory match/ },
  { name: 'fails when a file is where a directory should be', args: { path: '/srv', state: 'directory' }, host: { files: { '/srv': 'x' } }, failed: /already exists as a file/ },
  { name: 'fails on state=file for a missing path', args: { path: '/nope', state: 'file' }, failed: /is absent, cannot continue/ },
  { name: 'sets attributes with state=file', args: { path: '/f', state: 'file', owner: 'nobody' }, host: { files: { '/f': 'x' } }, changes: [{ action: 'update', summary: /owner nobody/ }] },
  { name: 'keeps the current type when state is not given', args: { path: '/srv', mode: '0700' }, host: { dirs: ['/srv'] }, changes: [{ action: 'update' }] },
  { name: 'removes a file', args: { path: '/f', state: 'absent' }, host: { files: { '/f': 'x' } }, changes: [{ action: 'delete', steps: ['remove'] }], files: { '/f': null } },
  { name: 'removes a directory and what is in it', args: { path: '/srv', state: 'absent' }, host: { files: { '/srv/a/b': 'x' } }, changes: [{ action: 'delete', summary: /and everything in it/ }], files: { '/srv/a/b': null } },
  { name: 'is in sync when the path is already absent', args: { path: '/gone', state: 'absent' }, note: /already absent/ },
  { name: 'creates a link', args: { path: '/etc/l', src: '/etc/real', state: 'link' }, host: { files: { '/etc/real': 'x' } }, changes: [{ action: 'create', summary: /link \/etc\/l -> \/etc\/real/ }], attrs: { '/etc/l': { type: 'link', target: '/etc/real' } } },
  { name: 'relinks a link pointing elsewhere', args: { path: '/etc/l', src: '/etc/real', state: 'link' }, host: { files: { '/etc/real': 'x', '/etc/l': { type: 'link', target: '/etc/old' } } }, changes: [{ action: 'update', summary: /was -> \/etc\/old/ }] },
  { name: 'fails to link to a missing src without force', args: { path: '/etc/l', src: 'missing', state: 'link' }, host: { dirs: ['/etc'] }, failed: /src file does not exist.*\/etc\/missing/ },
  { name: 'links to a missing src with force', args: { path: '/etc/l', src: 'missing', state: 'link', force: true }, host: { dirs: ['/etc'] }, changes: [{ action: 'create' }] },
  { name: 'refuses to replace a file with a link without force', args: { path: '/etc/l', src: '/etc/real', state: 'link' }, host: { files: { '/etc/real': 'x', '/etc/l': 'file' } }, failed: /refusing to convert from file to symlink/ },
  { name: 'replaces a file with a link with force', args: { path: '/etc/l', src: '/etc/real', state: 'link', force: 'yes' }, host: { files: { '/etc/real': 'x', '/etc/l': 'file' } }, changes: [{ action: 'update', summary: /replace \/etc\/l with a link/ }], attrs: { '/etc/l': { type: 'link' } } },
  { name: 'replaces an empty directory with a link with force', args: { path: '/etc/d', src: '/etc/real', state: 'link', force: true }, host: { dirs: ['/etc/d'], files: { '/etc/real': 'x' } }, changes: [{ action: 'update', steps: ['remove', 'symlink'] }] },
  { name: 'touch creates an empty file and always reports a change', args: { path: '/etc/t', state: 'touch' }, host: { dirs: ['/etc'] }, changes: [{ action: 'create', alwaysRuns: true }], files: { '/etc/t': '' } },
  { name: 'touch on an existing file always changes (times) and sets attributes', args: { path: '/etc/t', state: 'touch', mode: '0600' }, host: { files: { '/etc/t': 'keep' } }, changes: [{ action: 'update', summary: /touch \/etc\/t and set mode 0600/, alwaysRuns: true }], attrs: { '/etc/t': { mode: 0o600, type: 'file' } } },
  { name: 'accepts dest and name as aliases of path', args: { name: '/srv', state: 'directory' }, host: { dirs: ['/srv'] }, note: /in sync/ },
]);
