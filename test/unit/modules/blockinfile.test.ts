import { blockinfile } from '../../../src/modules/blockinfile.js';
import { table } from './table.js';

const M0 = '# BEGIN ANSIBLE MANAGED BLOCK\n';
const M1 = '# END ANSIBLE MANAGED BLOCK\n';

table(blockinfile, [
  { name: 'appends a block with markers at EOF', args: { path: '/c', block: 'a=1\nb=2' }, host: { files: { '/c': 'x\n' } }, changes: [{ action: 'update', summary: /Block inserted/ }], files: { '/c': `x\n${M0}a=1\nb=2\n${M1}` } },
  { name: 'replaces an existing block in place', args: { path: '/c', block: 'new' }, host: { files: { '/c': `top\n${M0}old\n${M1}bottom\n` } }, changes: [{ action: 'update' }], files: { '/c': `top\n${M0}new\n${M1}bottom\n` } },
  { name: 'is in sync when the block is there', args: { path: '/c', block: 'same\n' }, host: { files: { '/c': `${M0}same\n${M1}` } }, note: /in sync/ },
  { name: 'uses custom markers', args: { path: '/c', block: 'k', marker: '// {mark} xivo-ha', marker_begin: 'start', marker_end: 'stop' }, host: { files: { '/c': '' } }, changes: [{ action: 'update' }], files: { '/c': '// start xivo-ha\nk\n// stop xivo-ha\n' } },
  { name: 'removes the block with state=absent', args: { path: '/c', state: 'absent' }, host: { files: { '/c': `a\n${M0}x\n${M1}b\n` } }, changes: [{ action: 'update', summary: /Block removed/ }], files: { '/c': 'a\nb\n' } },
  { name: 'removes the block when block is empty', args: { path: '/c', block: '' }, host: { files: { '/c': `a\n${M0}x\n${M1}` } }, changes: [{ action: 'update' }], files: { '/c': 'a\n' } },
  { name: 'inserts after the last insertafter match', args: { path: '/c', block: 'B', insertafter: '^\\[main\\]' }, host: { files: { '/c': '[main]\nx\n[other]\n' } }, changes: [{ action: 'update' }], files: { '/c': `[main]\n${M0}B\n${M1}x\n[other]\n` } },
  { name: 'inserts at BOF with insertbefore=BOF', args: { path: '/c', block: 'B', insertbefore: 'BOF' }, host: { files: { '/c': 'x\n' } }, changes: [{ action: 'update' }], files: { '/c': `${M0}B\n${M1}x\n` } },
  { name: 'fails on a missing file without create', args: { path: '/missing', block: 'x' }, failed: /does not exist/ },
  { name: 'creates the file with create', args: { path: '/etc/c', block: 'x', create: true }, host: { dirs: ['/etc'] }, changes: [{ action: 'create' }], files: { '/etc/c': `${M0}x\n${M1}` } },
  { name: 'is in sync with state=absent on a missing file', args: { path: '/missing', state: 'absent', create: true }, note: /not present/ },
]);
