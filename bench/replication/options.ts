// Command line of `npm run bench:replication -- [options]`.

export interface BenchOptions {
  users: number;
  celRows: number;
  runs: number;
  runs2016: number;
  seed: number;
  help: boolean;
}

export const USAGE = `usage: npm run bench:replication -- [options]   (as root)

Times xivo-ha-replicate --only db between two local PostgreSQL 15 clusters:
  1. configuration only, no call history
  2. the same configuration plus CEL_ROWS rows of cel (and call_log, queue_log)
  3. for contrast, the 2016 pipeline with nothing excluded (CEL copied too)
Writes bench/results/replication-<date>.md and prints it.

  --users N      users in the generated configuration (default 3000: ~70,000 rows)
  --cel N        CEL rows of history (default 1000000)
  --runs N       timed runs of cases 1 and 2 (default 5)
  --runs-2016 N  timed runs of case 3 (default 3; 0 skips it)
  --seed N       generator seed (default 1): same seed, same database
  --help`;

const DEFAULTS: BenchOptions = { users: 3000, celRows: 1_000_000, runs: 5, runs2016: 3, seed: 1, help: false };

const NUMERIC: Record<string, { key: keyof Omit<BenchOptions, 'help'>; min: number }> = {
  '--users': { key: 'users', min: 10 },
  '--cel': { key: 'celRows', min: 8 },
  '--runs': { key: 'runs', min: 1 },
  '--runs-2016': { key: 'runs2016', min: 0 },
  '--seed': { key: 'seed', min: 0 },
};

export class OptionError extends Error {}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const opts = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      opts.help = true;
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const spec = NUMERIC[flag];
    if (!spec) throw new OptionError(`unknown option ${arg}`);
    const text = inline ?? argv[++i];
    if (text === undefined) throw new OptionError(`${flag} needs a number`);
    const value = Number(text.replace(/_/g, ''));
    if (!Number.isSafeInteger(value) || value < spec.min) throw new OptionError(`${flag} ${text}: expected an integer >= ${spec.min}`);
    opts[spec.key] = value;
  }
  return opts;
}
