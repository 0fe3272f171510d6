import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import { quote, quoteArgv } from '../../../src/transport/shell.js';

function shellPrints(word: string): string {
  const r = spawnSync('sh', ['-c', `printf %s ${quote(word)}`], { encoding: 'buffer' });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString('utf8');
}

test('leaves plain words unquoted and single-quotes the rest', () => {
  assert.equal(quote('/etc/xivo-ha/ha.conf'), '/etc/xivo-ha/ha.conf');
  assert.equal(quote(''), "''");
  assert.equal(quote("it's"), `'it'\\''s'`);
  assert.equal(quoteArgv(['echo', 'a b', '$HOME']), `echo 'a b' '$HOME'`);
});

test('refuses a word with a NUL byte, which no shell word can carry', () => {
  assert.throws(() => quote('a\0b'), /NUL/);
});

test('sh -c "printf %s WORD" gives back any string without NUL exactly', () => {
  const word = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0'));
  fc.assert(
    fc.property(word, (s) => {
      // Lone surrogates cannot survive UTF-8 on their way to the shell; compare what can.
      const sent = Buffer.from(s, 'utf8').toString('utf8');
      assert.equal(shellPrints(sent), sent);
    }),
    { numRuns: 150, seed: 20240611 },
  );
});

test('a quoted argv reaches the program as the same words', () => {
  const argv = ['printf', '%s|', 'a b', "it's", '$(id)', '`x`', '\\', '\n', '*', '-n', ''];
  const r = spawnSync('sh', ['-c', quoteArgv(argv)], { encoding: 'utf8' });
  assert.equal(r.stdout, argv.slice(2).map((w) => `${w}|`).join(''));
});
