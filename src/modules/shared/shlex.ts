// Python's shlex.split() in POSIX mode, which Ansible's command module uses
// to turn its free-form text into argv: quotes group words, backslash escapes
// outside single quotes, no shell expansion of any kind.

import { ModuleArgError } from './args.js';

export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '\\"$`\n'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'" || c === '"') quote = c;
    else if (c === '\\') {
      if (i + 1 >= text.length) throw new ModuleArgError(`no escaped character after the final backslash in: ${text}`);
      word += text[++i];
    } else word += c;
  }
  if (quote) throw new ModuleArgError(`no closing quotation in: ${text}`);
  if (inWord) words.push(word);
  return words;
}
