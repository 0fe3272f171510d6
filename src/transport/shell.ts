// The one quoting function. Every shell word xivo-ha sends (an SSH exec
// request is a shell string) goes through quote(); nothing else builds shell text.

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX single-quote style: the word reaches the program exactly as given. */
export function quote(word: string): string {
  if (word.includes('\0')) throw new TypeError('a shell word cannot contain a NUL byte');
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}
