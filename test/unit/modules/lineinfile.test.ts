import { lineinfile } from '../../../src/modules/lineinfile.js';
import { table } from './table.js';

const conf = 'PermitRootLogin yes\n#Port 22\nPermitRootLogin no\nUsePAM yes\n';

table(lineinfile, [
  { name: 'replaces the last line matching regexp', args: { path: '/c', regexp: '^PermitRootLogin', line: 'PermitRootLogin prohibit-password' }, host: { files: { '/c': conf } }, changes: [{ action: 'update', summary: /line replaced/ }], files: { '/c': 'PermitRootLogin yes\n#Port 22\nPermitRootLogin prohibit-password\nUsePAM yes\n' } },
  { name: 'replaces the first match with firstmatch', args: { path: '/c', regexp: '^PermitRootLogin', line: 'PermitRootLogin x', firstmatch: true }, host: { files: { '/c': conf } }, changes: [{ action: 'update' }], files: { '/c': 'PermitRootLogin x\n#Port 22\nPermitRootLogin no\nUsePAM yes\n' } },
  { name: 'leaves a line that already reads as wanted', args: { path: '/c', regexp: '^UsePAM', line: 'UsePAM yes' }, host: { files: { '/c': conf } }, note: /in sync/ },
  { name: 'appends at EOF when nothing matches', args: { path: '/c', regexp: '^Port ', line: 'Port 2222' }, host: { files: { '/c': 'a\n' } }, changes: [{ action: 'update', summary: /line added/ }], files: { '/c': 'a\nPort 2222\n' } },
  { name: 'adds a newline before appending to a file without a final newline', args: { path: '/c', line: 'b' }, host: { files: { '/c': 'a' } }, changes: [{ action: 'update' }], files: { '/c': 'a\nb\n' } },
  { name: 'is in sync when the exact line is present without regexp', args: { path: '/c', line: '#Port 22' }, host: { files: { '/c': conf } }, note: /in sync/ },
  { name: 'inserts after the last insertafter match', args: { path: '/c', line: 'X', insertafter: '^PermitRootLogin' }, host: { files: { '/c': conf } }, changes: [{ action: 'update' }], files: { '/c': 'PermitRootLogin yes\n#Port 22\nPermitRootLogin no\nX\nUsePAM yes\n' } },
  { name: 'appends at EOF when insertafter matches nothing', args: { path: '/c', line: 'X', insertafter: '^Nothing' }, host: { files: { '/c': 'a\n' } }, changes: [{ action: 'update' }], files: { '/c': 'a\nX\n' } },
  { name: 'inserts before the last insertbefore match', args: { path: '/c', line: 'X', insertbefore: '^UsePAM' }, host: { files: { '/c': conf } }, changes: [{ action: 'update' }], files: { '/c': 'PermitRootLogin yes\n#Port 22\nPermitRootLogin no\nX\nUsePAM yes\n' } },
  { name: 'inserts at BOF', args: { path: '/c', line: '# managed', insertbefore: 'BOF' }, host: { files: { '/c': 'a\n' } }, changes: [{ action: 'update' }], files: { '/c': '# managed\na\n' } },
  { name: 'expands backrefs from the match', args: { path: '/c', regexp: '^(host\\s+\\S+)\\s+old$', line: '\\1 new', backrefs: true }, host: { files: { '/c': 'host  db  old\n' } }, changes: [{ action: 'update' }], files: { '/c': 'host  db new\n' } },
  { name: 'changes nothing with backrefs when regexp does not match', args: { path: '/c', regexp: '^nomatch(.*)$', line: 'x\\1', backrefs: true }, host: { files: { '/c': 'a\n' } }, note: /backrefs/, files: { '/c': 'a\n' } },
  { name: 'matches Python "$" before the line newline', args: { path: '/etc/hosts', regexp: '\\speer$', line: '198.18.0.12\tpeer' }, host: { files: { '/etc/hosts': '127.0.0.1 localhost\n10.0.0.1 peer\n' } }, changes: [{ action: 'update' }], files: { '/etc/hosts': '127.0.0.1 localhost\n198.18.0.12\tpeer\n' } },
  { name: 'removes every matching line with state=absent', args: { path: '/c', regexp: '^PermitRootLogin', state: 'absent' }, host: { files: { '/c': conf } }, changes: [{ action: 'update', summary: /2 line\(s\) removed/ }], files: { '/c': '#Port 22\nUsePAM yes\n' } },
  { name: 'removes exact lines with state=absent and line', args: { path: '/c', line: 'UsePAM yes', state: 'absent' }, host: { files: { '/c': conf } }, changes: [{ action: 'update' }], files: { '/c': 'PermitRootLogin yes\n#Port 22\nPermitRootLogin no\n' } },
  { name: 'is in sync with state=absent when nothing matches', args: { path: '/c', regexp: '^Nope', state: 'absent' }, host: { files: { '/c': conf } }, note: /nothing to remove/ },
  { name: 'fails on a missing file without create', args: { path: '/missing', line: 'x' }, failed: /Destination \/missing does not exist/ },
  { name: 'creates a missing file (and its directory) with create', args: { path: '/etc/new/c', line: 'x', create: true, mode: '0600' }, host: { dirs: ['/etc'] }, changes: [{ action: 'create', steps: ['mkdir', 'put'] }], files: { '/etc/new/c': 'x\n' }, attrs: { '/etc/new/c': { mode: 0o600 } } },
  { name: 'sets only the mode when the line is already there', args: { path: '/c', line: 'UsePAM yes', mode: '0600' }, host: { files: { '/c': conf } }, changes: [{ action: 'update', steps: ['attrs'] }] },
  { name: 'uses search_string literally', args: { path: '/c', search_string: '#Port', line: 'Port 2222' }, host: { files: { '/c': conf } }, changes: [{ action: 'update' }], files: { '/c': 'PermitRootLogin yes\nPort 2222\nPermitRootLogin no\nUsePAM yes\n' } },
]);
