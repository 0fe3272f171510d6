// The runnable-snippet format of docs/operations.md: what the maintenance lab
// test executes must be exactly the `sh run` blocks and lab directives.

import test from 'node:test';
import assert from 'node:assert/strict';
import { extractRunnableSnippets } from '../../helpers/doc-snippets.js';

const DOC = [
  '# Guide',
  '```sh',
  'xivo-ha not-run -i x.yml',
  '```',
  '<!-- lab: reset slave -->',
  '```sh run',
  '# a comment',
  'xivo-ha status -i x.yml',
  '',
  'xivo-ha upgrade -i x.yml \\',
  "  --command 'xivo-upgrade -f'",
  '```',
  '```yaml',
  'sh run: no',
  '```',
  '```sh run exit=1 on=slave',
  'false',
  '```',
].join('\n');

test('runs only sh-run blocks, joins continued lines, keeps exit codes, nodes and lab directives in order', () => {
  assert.deepEqual(extractRunnableSnippets(DOC), [
    { line: 5, text: 'reset slave', expectCode: 0, lab: 'reset slave' },
    { line: 8, text: 'xivo-ha status -i x.yml', expectCode: 0 },
    { line: 10, text: "xivo-ha upgrade -i x.yml --command 'xivo-upgrade -f'", expectCode: 0 },
    { line: 17, text: 'false', expectCode: 1, on: 'slave' },
  ]);
});
