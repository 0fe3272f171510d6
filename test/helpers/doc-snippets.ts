// Runnable snippets of a Markdown guide: the lines of fenced blocks whose
// info string is `sh run`, with options: `exit=N` (the exit code the
// commands of the block must end with; 0 by default) and `on=NODE` (they run
// on that node, not on the workstation). Blank lines and `#` comments are
// skipped; a line ending in `\` continues on the next. A comment
// `<!-- lab: WORDS -->` outside blocks is a directive for the test (set the
// lab up for what follows), invisible to readers.

export interface Snippet {
  /** 1-based line of the command in the document. */
  line: number;
  text: string;
  expectCode: number;
  /** The node the command runs on; undefined: the workstation. */
  on?: string;
  /** A `<!-- lab: … -->` directive instead of a command. */
  lab?: string;
}

export function extractRunnableSnippets(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = markdown.split('\n');
  let inFence = false;
  let block: { expectCode: number; on?: string } | undefined;
  let pending: Snippet | undefined;
  lines.forEach((raw, i) => {
    const fence = /^```(.*)$/.exec(raw.trim());
    if (fence) {
      inFence = !inFence;
      const info = fence[1]!.trim().split(/\s+/);
      if (!inFence || info[0] !== 'sh' || info[1] !== 'run') {
        block = undefined;
        return;
      }
      const option = (key: string) => info.slice(2).find((w) => w.startsWith(`${key}=`))?.slice(key.length + 1);
      const on = option('on');
      block = { expectCode: Number(option('exit') ?? 0), ...(on ? { on } : {}) };
      return;
    }
    const directive = /^<!--\s*lab:\s*(.*?)\s*-->$/.exec(raw.trim());
    if (!inFence && directive) out.push({ line: i + 1, text: directive[1]!, expectCode: 0, lab: directive[1]! });
    if (!block) return;
    const line = raw.trim();
    if (pending) {
      pending.text += ` ${line.replace(/\\$/, '').trim()}`;
      if (!line.endsWith('\\')) pending = undefined;
      return;
    }
    if (!line || line.startsWith('#')) return;
    const snippet: Snippet = { line: i + 1, text: line.replace(/\\$/, '').trim(), ...block };
    out.push(snippet);
    if (line.endsWith('\\')) pending = snippet;
  });
  return out;
}
