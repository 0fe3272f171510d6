import { copy } from '../../../src/modules/copy.js';
import { template } from '../../../src/modules/template.js';
import { table } from './table.js';
import { viewChange } from '../../../src/core/change-view.js';

table(copy, [
  { name: 'creates a missing file with content, 0644 root:root by default', args: { dest: '/etc/motd', content: 'hi\n' }, host: { dirs: ['/etc'] }, changes: [{ action: 'create', summary: /create \/etc\/motd/, steps: ['put'] }], files: { '/etc/motd': 'hi\n' }, attrs: { '/etc/motd': { mode: 0o644, owner: 'root' } } },
  { name: 'updates differing content with a diff', args: { dest: '/etc/motd', content: 'new\n' }, host: { files: { '/etc/motd': 'old\n' } }, changes: [{ action: 'update', summary: /^update \/etc\/motd$/ }], files: { '/etc/motd': 'new\n' }, check: ({ first }) => {
    const d = first.changes[0]!.diff!;
    if (d.before !== 'old\n' || d.after !== 'new\n') throw new Error('diff before/after');
  } },
  { name: 'says in sync when content and mode match', args: { dest: '/etc/motd', content: 'x', mode: '0644' }, host: { files: { '/etc/motd': 'x' } }, note: /in sync: content and mode match/ },
  { name: 'sets only the mode when content matches', args: { dest: '/etc/motd', content: 'x', mode: 0o640 }, host: { files: { '/etc/motd': 'x' } }, changes: [{ action: 'update', summary: /set mode 0640 \(was 0644\) on \/etc\/motd/, steps: ['attrs'] }], attrs: { '/etc/motd': { mode: 0o640 } } },
  { name: 'sets owner and group when they differ', args: { dest: '/f', content: 'x', owner: 'www-data', group: 'adm' }, host: { files: { '/f': 'x' } }, changes: [{ action: 'update', summary: /owner www-data \(was root\) and group adm \(was root\)/ }], attrs: { '/f': { owner: 'www-data', group: 'adm' } } },
  { name: 'reads a decimal integer mode as decimal, as Ansible does (644 → 01204)', args: { dest: '/f', content: 'x', mode: 644 }, host: { files: { '/f': 'x' } }, changes: [{ action: 'update', summary: /mode 1204/ }] },
  { name: 'applies a symbolic mode to the current bits', args: { dest: '/f', content: 'x', mode: 'u=rw,g=r,o=' }, host: { files: { '/f': 'x' } }, changes: [{ action: 'update', summary: /mode 0640/ }] },
  { name: 'leaves an existing file alone with force: no', args: { dest: '/f', content: 'new', force: false }, host: { files: { '/f': 'old' } }, note: /force is no/, files: { '/f': 'old' } },
  { name: 'creates a missing file with force: no', args: { dest: '/etc/f', content: 'new', force: 'no' }, host: { dirs: ['/etc'] }, changes: [{ action: 'create' }] },
  { name: 'fails when the destination directory does not exist', args: { dest: '/nope/f', content: 'x' }, failed: /Destination directory \/nope does not exist/ },
  { name: 'copies src into a destination directory under its basename', args: { src: 'files/app.conf', dest: '/etc' }, host: { dirs: ['/etc'] }, ctx: { localFiles: { 'files/app.conf': 'a=1\n' } }, changes: [{ action: 'create', summary: /\/etc\/app.conf/ }], files: { '/etc/app.conf': 'a=1\n' }, result: { dest: '/etc/app.conf' } },
  { name: 'creates the missing directories of a dest ending in "/"', args: { src: 'app.conf', dest: '/opt/app/conf/' }, host: { dirs: ['/opt'] }, ctx: { localFiles: { 'app.conf': 'a\n' } }, changes: [{ action: 'create', steps: ['mkdir', 'put'] }], files: { '/opt/app/conf/app.conf': 'a\n' }, attrs: { '/opt/app/conf': { type: 'directory', mode: 0o755 } } },
  { name: 'refuses content with a directory as dest', args: { dest: '/etc', content: 'x' }, host: { dirs: ['/etc'] }, failed: /can not use content with a dir as dest/ },
  { name: 'replaces a symbolic link at dest with a regular file', args: { dest: '/etc/l', content: 'x' }, host: { files: { '/etc/l': { type: 'link', target: '/etc/real' } } }, changes: [{ action: 'update', summary: /replace symbolic link/ }], attrs: { '/etc/l': { type: 'file', mode: 0o644 } } },
  { name: 'writes a mapping as Python json.dumps does', args: { dest: '/etc/c.json', content: { a: 1, b: ['x', 'é'] } }, host: { dirs: ['/etc'] }, changes: [{ action: 'create' }], files: { '/etc/c.json': '{"a": 1, "b": ["x", "\\u00e9"]}' } },
  { name: 'marks a diff holding a secret as sensitive', args: { dest: '/etc/s', content: 'pw=hunter22\n' }, host: { files: { '/etc/s': 'pw=old\n' } }, ctx: { secrets: ['hunter22'] }, changes: [{ action: 'update' }], check: ({ first }) => {
    if (first.changes[0]!.diff?.sensitive !== true) throw new Error('not sensitive');
  } },
  { name: 'compares a file above 256 KiB by hash and shows its sizes instead of a text diff', args: { dest: '/var/big.txt', content: 'b'.repeat(300_000) }, host: { files: { '/var/big.txt': 'a'.repeat(400_000) } }, changes: [{ action: 'update' }], files: { '/var/big.txt': 'b'.repeat(300_000) }, check: ({ first }) => {
    const view = viewChange(first.changes[0]!);
    if (view.diff !== 'content differs (400000 bytes -> 300000 bytes)') throw new Error(`diff: ${view.diff?.slice(0, 200)}`);
  } },
  { name: 'is in sync with a large file of the same content, by hash', args: { dest: '/var/big.txt', content: 'a'.repeat(300_000) }, host: { files: { '/var/big.txt': 'a'.repeat(300_000) } }, note: /in sync: content match/ },
  { name: 'creates a large file with its size as the diff', args: { dest: '/var/big.txt', content: 'a'.repeat(300_000) }, host: { dirs: ['/var'] }, changes: [{ action: 'create' }], check: ({ first }) => {
    if (viewChange(first.changes[0]!).diff !== 'content differs (0 bytes -> 300000 bytes)') throw new Error('diff');
  } },
  { name: 'keeps the text diff for a file just under the threshold', args: { dest: '/var/t.txt', content: `${'a'.repeat(1000)}\n` }, host: { files: { '/var/t.txt': `${'a'.repeat(262_000)}\n` } }, changes: [{ action: 'update' }], check: ({ first }) => {
    if (!/^-a{262000}$/m.test(viewChange(first.changes[0]!).diff ?? '')) throw new Error('no text diff');
  } },
  { name: 'shows no text diff for binary content', args: { dest: '/f.bin', content: 'a\u0000b' }, host: { files: { '/f.bin': 'old' } }, changes: [{ action: 'update' }], note: /binary/, check: ({ first }) => {
    if (first.changes[0]!.diff !== undefined) throw new Error('binary diff shown');
  } },
]);

table(template, [
  { name: 'writes the rendered template', args: { src: 'ha.conf.j2', dest: '/etc/ha.conf', mode: '0640' }, host: { dirs: ['/etc'] }, ctx: { templates: { 'ha.conf.j2': 'role=master\n' } }, changes: [{ action: 'create' }], files: { '/etc/ha.conf': 'role=master\n' }, attrs: { '/etc/ha.conf': { mode: 0o640 } } },
  { name: 'is in sync when the rendered text matches', args: { src: 't.j2', dest: '/etc/t' }, host: { files: { '/etc/t': 'same\n' } }, ctx: { templates: { 't.j2': 'same\n' } }, note: /in sync: content match/ },
]);
