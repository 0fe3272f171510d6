"""Shared by xivo-ha-replicate (master) and xivo-ha-receive (forced command).

Standard library only: a stock XiVO has python3 and nothing more. Everything
here is either pure (argv validation, SQL text, FK closure, fingerprint
comparison) or a thin wrapper around one side effect (atomic file write,
flock), so the pure parts are unit-tested without PostgreSQL or SSH.
Installed as /usr/local/lib/xivo-ha/xivo_ha_replication_lib.py.
"""

import datetime
import errno
import fcntl
import json
import os
import re
import tempfile
import time

CONFIG_PATH = '/etc/xivo-ha/cluster.json'
STATE_DIR = '/var/lib/xivo-ha'
STATUS_FILE = 'replication-status.json'
MONITOR_STATE_FILE = 'monitor-state.json'
PAUSED_FILE = 'paused.json'
HA_LOCK_FILE = 'ha.lock'
PG_BINDIR = '/usr/lib/postgresql/15/bin'

# record-status and user-settings read JSON from an untrusted peer: bounded.
MAX_STDIN_BYTES = 256 * 1024

SEVEN_DIRECTORIES = [
    '/etc/asterisk/extensions_extra.d',
    '/etc/xivo/asterisk',
    '/var/lib/asterisk/agi-bin',
    '/var/lib/asterisk/moh',
    '/var/lib/xivo/certificates',
    '/var/lib/xivo/sounds/acd',
    '/var/lib/xivo/sounds/playback',
]

DEFAULT_FAILBACK_DIRECTORIES = [
    '/var/spool/asterisk/voicemail',
    '/var/spool/asterisk/monitor',
]

# Exit codes of both programs (documented in docs/replication.md).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_CONFIG = 78

# How long data sent to the slave's PostgreSQL may stay unacknowledged before
# the session is given up (libpq's tcp_user_timeout, in milliseconds).
PEER_IO_TIMEOUT_MS = 30_000


class ConfigError(Exception):
    """cluster.json is missing, unreadable or lacks a key: nothing was run."""


class Refusal(Exception):
    """A precondition said no; nothing was sent to the slave."""


class StepFailure(Exception):
    """A step failed after it started; the slave keeps its previous state."""


# ---------------------------------------------------------------- config

class ReplicationConfig:
    """The keys of /etc/xivo-ha/cluster.json this program reads (see docs/replication.md)."""

    def __init__(self, doc, path):
        def need(obj, key, kind, where):
            value = obj.get(key) if isinstance(obj, dict) else None
            if not isinstance(value, kind):
                raise ConfigError(f'{path}: {where}{key} is missing or not a {kind.__name__}')
            return value

        node = need(doc, 'node', dict, '')
        peer = need(doc, 'peer', dict, '')
        rep = doc.get('replication', {})
        if not isinstance(rep, dict):
            raise ConfigError(f'{path}: replication is not an object')
        self.path = path
        self.node_role = need(node, 'role', str, 'node.')
        self.node_address = need(node, 'address', str, 'node.')
        self.peer_address = need(peer, 'address', str, 'peer.')
        self.database = rep.get('database', 'asterisk')
        self.pg_role = rep.get('role', 'xivo_ha_replication')
        self.pgpass = rep.get('pgpass', '/etc/xivo-ha/replication.pgpass')
        self.peer_pg_port = int(rep.get('peer_pg_port', 5432))
        local = rep.get('local_pg', {})
        self.local_os_user = local.get('os_user', 'postgres')
        self.local_pg_host = local.get('host')
        self.local_pg_port = local.get('port')
        # Debian's /usr/bin/psql is a Perl wrapper costing ~0.2 s a call: go to the binaries.
        self.pg_bindir = rep.get('pg_bindir', PG_BINDIR if os.path.isdir(PG_BINDIR) else '')
        self.ssh_key = rep.get('ssh_key', '/root/.ssh/xivo_ha_replication')
        self.ssh_user = rep.get('ssh_user', 'root')
        self.ssh_known_hosts = rep.get('ssh_known_hosts')
        self.ssh_connect_timeout = int(rep.get('ssh_connect_timeout', 10))
        # The list has one source, src/load/ha-settings.ts: cluster.json always
        # carries it. Checked here when present; required where it is used.
        excluded = rep.get('exclude_tables')
        self._exclude_tables = None if excluded is None else _string_list(excluded, path, 'replication.exclude_tables')
        self._path = path
        self.directories = _directory_list(rep.get('directories', SEVEN_DIRECTORIES), path, 'replication.directories')
        failback = doc.get('failback', {})
        self.failback_directories = _directory_list(
            failback.get('directories', DEFAULT_FAILBACK_DIRECTORIES) if isinstance(failback, dict) else None,
            path, 'failback.directories')
        self.lock_timeout = float(rep.get('lock_timeout', 600))

    @property
    def exclude_tables(self):
        if self._exclude_tables is None:
            raise ConfigError(f'{self._path}: replication.exclude_tables is missing: xivo-ha apply writes it '
                              '(the defaults of src/load/ha-settings.ts); re-run apply on this node')
        return self._exclude_tables

    def require_replication_keys(self):
        """What only a replication run needs, checked before it does anything (ConfigError)."""
        self.exclude_tables  # noqa: B018 (the property raises when the key is missing)


def _string_list(value, path, where):
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f'{path}: {where} must be a list of names')
    return list(value)


def _directory_list(value, path, where):
    items = _string_list(value, path, where)
    for d in items:
        if normalise_directory(d) is None:
            raise ConfigError(f'{path}: {where}: {d!r} is not an absolute path without "..", "." or "//"')
    return [normalise_directory(d) for d in items]


def load_config(path):
    try:
        with open(path, encoding='utf-8') as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise ConfigError(f'{path} does not exist: run `xivo-ha apply` to provision this node') from None
    except (OSError, ValueError) as e:
        raise ConfigError(f'{path}: cannot read: {e}') from None
    if not isinstance(doc, dict):
        raise ConfigError(f'{path}: not a JSON object')
    return ReplicationConfig(doc, path)


def pg_program(config, name):
    return os.path.join(config.pg_bindir, name) if config.pg_bindir else name


# ---------------------------------------------------------------- files and lock

def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds')


def ensure_private_dir(path):
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def write_json_atomic(path, doc):
    """Temp file beside the target, fsync, rename: readers see the old or the new file."""
    directory = os.path.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(doc, f, indent=2, sort_keys=True)
            f.write('\n')
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_json_or_empty(path):
    """The file's JSON object, or {} when it is missing or not an object."""
    try:
        with open(path, encoding='utf-8') as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


class HaLock:
    """flock on /var/lib/xivo-ha/ha.lock, shared with the monitor and manual actions.

    The kernel releases it when the process dies, so a killed run never leaves
    the HA pair locked.
    """

    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                os.close(self.fd)
                self.fd = None
                raise Refusal(f'{self.path} is held by another HA action (monitor, failover or replication) '
                              f'for more than {self.timeout:.0f} s')
            time.sleep(0.5)

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        return False


# ---------------------------------------------------------------- forced command: argv validation

# Single-letter rsync options a receiving server may get from our client
# (`rsync -rlptgo --delete-after --stats`, i.e. -a without -D). Left out on
# purpose: s (protect-args would hide the real arguments from this check),
# R (relative paths), D (device files), e is handled apart (capabilities).
RSYNC_SERVER_SHORT_FLAGS = frozenset('logtprvcxHz')
RSYNC_SERVER_LONG_OPTIONS = frozenset(['--delete-after', '--delete', '--stats', '--numeric-ids'])
# The failback copy-back (xivo-ha-copyback push) sends chosen files with
# `--files-from` (which implies R: their subdirectories under the allowed
# directory; rsync ≥ 3.2.5 refuses "..", absolute and unsafe names from the
# sender), never replaces a file (--ignore-existing), itemizes what it sent
# (--log-format=%i) and checks name clashes with a dry run (n).
COPY_BACK_SHORT_FLAGS = frozenset('Rn')
COPY_BACK_LONG_OPTIONS = frozenset(['--ignore-existing', '--log-format=%i'])
_CAPABILITIES = re.compile(r'^\.[A-Za-z]*$')
_SAFE_TOKEN = re.compile(r'^[A-Za-z0-9_./=,+:@-]+$')
# A request word may also be rsync's `--log-format=%i` (no shell ever reads it).
_SAFE_WORD = re.compile(r'^[A-Za-z0-9_./=,+:@%-]+$')


def normalise_directory(path):
    """'/a/b/' -> '/a/b'; None when the path is not absolute or has '..', '.', '//' or odd characters."""
    if not isinstance(path, str) or not path.startswith('/') or not _SAFE_TOKEN.match(path):
        return None
    stripped = path.rstrip('/')
    if stripped == '':
        return None
    parts = stripped.split('/')[1:]
    if any(p in ('', '.', '..') for p in parts):
        return None
    return stripped


def validate_rsync_server_argv(argv, allowed_directories, copy_back=False):
    """The argv to exec for an `rsync --server` request, or raise Refusal saying why.

    Only a receiving server into one allowed directory is accepted:
    rsync --server <short flags>[e<capabilities>] [allowed long options] . <directory>/
    copy_back (the failback key) also accepts what xivo-ha-copyback sends.
    """
    short_flags = RSYNC_SERVER_SHORT_FLAGS | (COPY_BACK_SHORT_FLAGS if copy_back else frozenset())
    long_options = RSYNC_SERVER_LONG_OPTIONS | (COPY_BACK_LONG_OPTIONS if copy_back else frozenset())
    if len(argv) < 5 or argv[0] != 'rsync' or argv[1] != '--server':
        raise Refusal('only "rsync --server … . DIRECTORY" is allowed')
    *options, source, destination = argv[2:]
    if source != '.':
        raise Refusal(f'rsync source placeholder must be ".", got {source!r}')
    short_seen = False
    for opt in options:
        if opt in long_options:
            continue
        if opt.startswith('--'):
            raise Refusal(f'rsync option {opt!r} is not allowed')
        if not opt.startswith('-') or short_seen:
            raise Refusal(f'unexpected rsync argument {opt!r}')
        short_seen = True
        flags, _, capabilities = opt[1:].partition('e')
        if not flags or not set(flags) <= short_flags:
            bad = ''.join(sorted(set(flags) - short_flags)) or '(none)'
            raise Refusal(f'rsync flags {opt!r} are not allowed (offending: {bad})')
        if 'e' in opt[1:] and not _CAPABILITIES.match(capabilities):
            raise Refusal(f'rsync flags {opt!r}: a remote shell (-e) is not allowed')
    if not short_seen:
        raise Refusal('rsync --server without its flags is not a request our client makes')
    directory = normalise_directory(destination)
    if directory is None:
        raise Refusal(f'rsync destination {destination!r} is not a plain absolute path')
    if directory not in allowed_directories:
        raise Refusal(f'rsync destination {directory} is not one of the allowed directories')
    return ['rsync', '--server', *options, '.', directory + '/']


def split_original_command(text):
    """SSH_ORIGINAL_COMMAND → tokens; refuses quotes, escapes and shell syntax outright."""
    if text is None or text.strip() == '':
        raise Refusal('no command given (an interactive shell is never allowed)')
    if len(text) > 4096:
        raise Refusal('command too long')
    tokens = text.split()
    for t in tokens:
        if not _SAFE_WORD.match(t):
            raise Refusal(f'argument {t!r} contains characters that are never allowed')
    return tokens


# ---------------------------------------------------------------- user-settings (failback carry-back)

# What a user may change on the active slave and must survive failback, and
# the columns that name a row on both nodes (ids may differ after a
# replication; uuid and the filter membership do not).
USER_SETTINGS_COLUMNS = {
    'userfeatures': {
        'enablednd': int, 'enableunc': int, 'destunc': str, 'enablerna': int, 'destrna': str,
        'enablebusy': int, 'destbusy': str, 'enablevoicemail': int, 'incallfilter': int,
        'enablexfer': int, 'callrecord': int,
    },
    'callfiltermember': {'active': int},
}
USER_SETTINGS_KEYS = {
    'userfeatures': {'uuid': str},
    'callfiltermember': {'callfilterid': int, 'type': str, 'typeval': str},
}


def sql_literal(value):
    """A SQL literal for an int, str or None (standard_conforming_strings is set on in the same transaction)."""
    if value is None:
        return 'NULL'
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Refusal(f'value {value!r} is neither an integer nor a string')
    if isinstance(value, int):
        return str(value)
    if '\x00' in value:
        raise Refusal('a string value contains a NUL byte')
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def _typed(value, kind, where, nullable):
    if value is None and nullable:
        return value
    if isinstance(value, bool) or not isinstance(value, kind):
        raise Refusal(f'user-settings: {where} must be {"null or " if nullable else ""}{kind.__name__}')
    return value


def _user_settings_update(i, change):
    """One UPDATE for one change of the copy-back (docs/monitor.md): the value
    is set only where the master still has the value the slave started from,
    so a setting changed on the master meanwhile wins."""
    where = f'changes[{i}]'
    if not isinstance(change, dict):
        raise Refusal(f'user-settings: {where} must be an object')
    table = change.get('table')
    if table not in USER_SETTINGS_COLUMNS:
        raise Refusal(f'user-settings: {where}: table {table!r} is not allowed')
    column = change.get('column')
    kind = USER_SETTINGS_COLUMNS[table].get(column) if isinstance(column, str) else None
    if kind is None:
        raise Refusal(f'user-settings: {where}: column {table}.{column} is not allowed')
    key = change.get('key')
    key_columns = USER_SETTINGS_KEYS[table]
    if not isinstance(key, dict) or set(key) != set(key_columns):
        raise Refusal(f'user-settings: {where}: key must name exactly {", ".join(sorted(key_columns))}')
    conditions = [f'{quote_ident(k)} = {sql_literal(_typed(key[k], key_columns[k], f"{where}.key.{k}", False))}'
                  for k in sorted(key_columns)]
    if 'before' not in change or 'after' not in change:
        raise Refusal(f'user-settings: {where} needs "before" and "after"')
    before = _typed(change['before'], kind, f'{where}.before', True)
    after = _typed(change['after'], kind, f'{where}.after', True)
    col = quote_ident(column)
    conditions.append(f'{col} IS NOT DISTINCT FROM {sql_literal(before)}')
    return f'UPDATE public.{quote_ident(table)} SET {col} = {sql_literal(after)} WHERE {" AND ".join(conditions)};'


def build_user_settings_sql(doc):
    """One transaction of UPDATEs from the copy-back's JSON
    ({"version": 1, "changes": [{table, key, id, column, before, after}]});
    raises Refusal on anything not allow-listed, before any SQL runs."""
    if not isinstance(doc, dict):
        raise Refusal('user-settings: the JSON must be an object')
    if doc.get('version') != 1:
        raise Refusal(f'user-settings: version {doc.get("version")!r} is not supported (expected 1)')
    changes = doc.get('changes')
    if not isinstance(changes, list):
        raise Refusal('user-settings: "changes" must be a list')
    statements = [_user_settings_update(i, c) for i, c in enumerate(changes)]
    return 'BEGIN;\nSET LOCAL standard_conforming_strings = on;\n' + '\n'.join(statements) + ('\n' if statements else '') + 'COMMIT;\n'


def count_updates(psql_output):
    """psql's command tags ("UPDATE 1" / "UPDATE 0") → (rows updated, changes kept at the master's value)."""
    tags = [int(line.split()[1]) for line in psql_output.splitlines() if re.match(r'^UPDATE \d+$', line.strip())]
    return sum(1 for n in tags if n > 0), sum(1 for n in tags if n == 0)


# ---------------------------------------------------------------- database: pure parts

def find_fk_closure_violations(foreign_keys, excluded):
    """Foreign keys that cross the replicated/excluded boundary.

    foreign_keys: iterable of (constraint, referencing_table, referenced_table).
    Such a key makes the TRUNCATE fail (excluded references replicated) or lets
    the copy break integrity (replicated references excluded): both are refused.
    """
    excluded = set(excluded)
    violations = []
    for constraint, source, target in foreign_keys:
        if (source in excluded) != (target in excluded):
            direction = ('excluded table {s} references replicated table {t}' if source in excluded
                         else 'replicated table {s} references excluded table {t}')
            violations.append(f'{constraint}: ' + direction.format(s=source, t=target))
    return sorted(violations)


def compare_schemas(master, slave):
    """Differences between two schema descriptions ({'version': …, 'fingerprint': {…}}), as sentences."""
    problems = []
    if master.get('version') != slave.get('version'):
        problems.append(f'alembic_version differs: master {master.get("version") or "(none)"}, '
                        f'slave {slave.get("version") or "(none)"}')
    mf, sf = master.get('fingerprint', {}), slave.get('fingerprint', {})
    only_master = sorted(set(mf) - set(sf))
    only_slave = sorted(set(sf) - set(mf))
    changed = sorted(k for k in set(mf) & set(sf) if mf[k] != sf[k])
    for label, keys in (('only on the master', only_master), ('only on the slave', only_slave), ('different', changed)):
        if keys:
            shown = ', '.join(keys[:10]) + (f' and {len(keys) - 10} more' if len(keys) > 10 else '')
            problems.append(f'{label}: {shown}')
    return problems


def qualified(table):
    return f'public.{quote_ident(table)}'


def transaction_prologue(tables):
    """What precedes pg_dump's output on the slave: one transaction, triggers and FK checks off, tables emptied."""
    if not tables:
        raise Refusal('no table to replicate')
    return ('\\set ON_ERROR_STOP 1\n'
            'BEGIN;\n'
            'SET LOCAL session_replication_role = replica;\n'
            f'TRUNCATE {", ".join(qualified(t) for t in sorted(tables))};\n')


TRANSACTION_EPILOGUE = 'COMMIT;\n'

_COPY_LINE = re.compile(rb'^COPY public\.("?)([^" (]+)\1 ')


class DumpFilter:
    """Follows pg_dump's data-only text output line by line.

    Counts the rows of each COPY block and refuses any statement that would
    touch something outside the tables we truncated, so a table created on the
    master between the catalog query and the dump cannot slip in half-copied.
    """

    def __init__(self, tables):
        self.tables = set(tables)
        self.rows = {}
        self._copying = None
        self.copy_blocks = 0

    def feed(self, line):
        if self._copying is not None:
            if line == b'\\.\n':
                self._copying = None
            else:
                self.rows[self._copying] += 1
            return
        m = _COPY_LINE.match(line)
        if m:
            table = m.group(2).decode()
            if table not in self.tables:
                raise StepFailure(f'the dump holds table {table}, which was not in the list to replace')
            self._copying = table
            self.rows.setdefault(table, 0)
            self.copy_blocks += 1
        elif line.startswith(b'COPY '):
            raise StepFailure(f'the dump holds an unexpected COPY: {line[:80]!r}')

    def finish(self):
        if self._copying is not None:
            raise StepFailure(f'the dump ended inside the COPY of {self._copying}')
        # alembic_version alone is the schema, not a configuration.
        if sum(n for t, n in self.rows.items() if t != 'alembic_version') == 0:
            raise Refusal('the master\'s dump is empty (no rows in any replicated table): '
                          'refusing to empty the slave\'s configuration')
