import { stat } from '../../../src/modules/stat.js';
import { assert as assertModule } from '../../../src/modules/assert.js';
import { debug } from '../../../src/modules/debug.js';
import { table } from './table.js';

table(stat, [
  { name: 'reports a regular file with Ansible keys and a sha1 checksum', args: { path: '/etc/f' }, host: { files: { '/etc/f': { content: 'abc', mode: 0o640, owner: 'xivo', group: 'adm' } } }, note: /regular file, mode 0640/, result: { stat: { exists: true, path: '/etc/f', isdir: false, isreg: true, islnk: false, mode: '0640', uid: 0, gid: 0, pw_name: 'xivo', gr_name: 'adm', size: 3, readable: true, writeable: true, executable: false, checksum: 'a9993e364706816aba3e25717850c26c9cd0d89d' } } },
  { name: 'reports a missing path', args: { path: '/nope' }, result: { stat: { exists: false } }, note: /does not exist/ },
  { name: 'reports a directory', args: { path: '/etc', get_checksum: false }, host: { dirs: ['/etc'] }, note: /directory/ },
  { name: 'reports a link without following it', args: { path: '/l' }, host: { files: { '/l': { type: 'link', target: '/t' } } }, note: /link/ },
]);

table(assertModule, [
  { name: 'passes when every condition holds', args: { that: [true, true], that_text: ['a', 'b'] }, note: /All assertions passed/, result: { msg: 'All assertions passed' } },
  { name: 'fails on the first false condition, naming it', args: { that: [true, false], that_text: ['a == 1', 'b == 2'] }, failed: /Assertion failed: b == 2/ },
  { name: 'fails with fail_msg', args: { that: [false], that_text: ['x'], fail_msg: 'need a master' }, failed: /^need a master$/ },
]);

table(debug, [
  { name: 'prints msg', args: { msg: 'hello' }, note: undefined, check: ({ first }) => {
    if (first.messages?.[0] !== 'hello') throw new Error('message');
  } },
  { name: 'prints a variable by name', args: { var: 'peer', value: { a: 1 } }, result: { peer: { a: 1 } } },
  { name: 'says a variable is not defined', args: { var: 'nope' }, result: { nope: 'VARIABLE IS NOT DEFINED!' } },
]);
