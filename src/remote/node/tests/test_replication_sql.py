"""xivo-ha-replicate's pure parts: the transaction around the dump, the dump filter,
the foreign-key closure of the exclusion list, the schema comparison, the config."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import xivo_ha_replication_lib as lib  # noqa: E402


class Transaction(unittest.TestCase):
    def test_truncates_every_replicated_table_in_one_transaction_with_triggers_off(self):
        self.assertEqual(lib.transaction_prologue(['user', 'extensions']),
                         '\\set ON_ERROR_STOP 1\nBEGIN;\nSET LOCAL session_replication_role = replica;\n'
                         'TRUNCATE public."extensions", public."user";\n')
        self.assertEqual(lib.TRANSACTION_EPILOGUE, 'COMMIT;\n')

    def test_refuses_to_build_a_transaction_without_tables(self):
        with self.assertRaises(lib.Refusal):
            lib.transaction_prologue([])


DUMP = b"""SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
COPY public.extensions (id, context, exten) FROM stdin;
1\tdefault\t1001
2\tdefault\t1002
\\.

COPY public."user" (id, login) FROM stdin;
1\troot
\\.

SELECT pg_catalog.setval('public.extensions_id_seq', 2, true);
"""


class Filter(unittest.TestCase):
    def feed(self, tables, dump):
        f = lib.DumpFilter(tables)
        for line in dump.splitlines(keepends=True):
            f.feed(line)
        f.finish()
        return f

    def test_counts_rows_per_table_including_quoted_names(self):
        self.assertEqual(self.feed(['extensions', 'user'], DUMP).rows, {'extensions': 2, 'user': 1})

    def test_refuses_a_table_that_was_not_truncated(self):
        with self.assertRaisesRegex(lib.StepFailure, 'holds table user'):
            self.feed(['extensions'], DUMP)

    def test_refuses_a_dump_cut_inside_a_copy(self):
        with self.assertRaisesRegex(lib.StepFailure, 'inside the COPY of extensions'):
            self.feed(['extensions', 'user'], DUMP.split(b'2\tdefault')[0])

    def test_refuses_an_empty_dump(self):
        for dump in [b'SET statement_timeout = 0;\n',
                     b'COPY public.extensions (id) FROM stdin;\n\\.\n',
                     b'COPY public.alembic_version (version_num) FROM stdin;\nabc\n\\.\n']:
            with self.subTest(dump=dump):
                with self.assertRaisesRegex(lib.Refusal, 'empty'):
                    self.feed(['extensions', 'alembic_version'], dump)

    def test_refuses_a_copy_into_another_schema(self):
        with self.assertRaises(lib.StepFailure):
            self.feed(['extensions'], b'COPY ha_meta.replication_policy (a) FROM stdin;\nx\n\\.\n')


class ForeignKeyClosure(unittest.TestCase):
    KEYS = [
        ('userfeatures_voicemailid_fkey', 'userfeatures', 'voicemail'),
        ('fk_call_log_id', 'cel', 'call_log'),
        ('stat_call_on_queue_queue_id_fkey', 'stat_call_on_queue', 'stat_queue'),
        ('user_line_user_id_fkey', 'user_line', 'userfeatures'),
    ]

    def test_keys_inside_either_side_are_fine(self):
        self.assertEqual(lib.find_fk_closure_violations(self.KEYS, ['cel', 'call_log', 'stat_call_on_queue', 'stat_queue']), [])

    def test_names_each_key_crossing_the_boundary_in_either_direction(self):
        cases = {
            ('voicemail',): ['userfeatures_voicemailid_fkey: replicated table userfeatures references excluded table voicemail'],
            ('call_log',): ['fk_call_log_id: replicated table cel references excluded table call_log'],
            ('cel',): ['fk_call_log_id: excluded table cel references replicated table call_log'],
            ('userfeatures',): ['user_line_user_id_fkey: replicated table user_line references excluded table userfeatures',
                                'userfeatures_voicemailid_fkey: excluded table userfeatures references replicated table voicemail'],
        }
        for excluded, expected in cases.items():
            with self.subTest(excluded=excluded):
                self.assertEqual(lib.find_fk_closure_violations(self.KEYS, excluded), expected)

    def test_a_self_reference_never_crosses(self):
        self.assertEqual(lib.find_fk_closure_violations([('k', 'a', 'a')], ['a']), [])


class Schemas(unittest.TestCase):
    BASE = {'version': 'abc', 'fingerprint': {'table a': 'id integer not null', 'type t': 'x, y'}}

    def test_identical_schemas_have_no_difference(self):
        self.assertEqual(lib.compare_schemas(self.BASE, json.loads(json.dumps(self.BASE))), [])

    def test_reports_version_and_fingerprint_differences(self):
        slave = {'version': None, 'fingerprint': {'table a': 'id bigint not null', 'table b': 'id integer'}}
        self.assertEqual(lib.compare_schemas(self.BASE, slave), [
            'alembic_version differs: master abc, slave (none)',
            'only on the master: type t', 'only on the slave: table b', 'different: table a'])


class Config(unittest.TestCase):
    def write(self, doc):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        path = os.path.join(tmp.name, 'cluster.json')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return path

    def test_reads_the_playbook_keys_with_defaults(self):
        c = lib.load_config(self.write({'node': {'role': 'master', 'address': '198.18.0.11'},
                                        'peer': {'address': '198.18.0.12'},
                                        'replication': {'role': 'xivo_ha_replication', 'directories': ['/etc/xivo/asterisk/'],
                                                        'exclude_tables': ['cel', 'infos']}}))
        self.assertEqual((c.node_role, c.peer_address, c.pg_role, c.database), ('master', '198.18.0.12', 'xivo_ha_replication', 'asterisk'))
        self.assertEqual(c.directories, ['/etc/xivo/asterisk'])
        self.assertEqual(c.exclude_tables, ['cel', 'infos'])

    def test_a_missing_exclusion_list_is_a_clear_error_for_replication_only(self):
        # The list has one source (src/load/ha-settings.ts, always in cluster.json): no python default.
        c = lib.load_config(self.write({'node': {'role': 'master', 'address': '198.18.0.11'},
                                        'peer': {'address': '198.18.0.12'}, 'replication': {}}))
        with self.assertRaisesRegex(lib.ConfigError, 'cluster.json: replication.exclude_tables is missing: xivo-ha apply writes it'):
            c.require_replication_keys()
        with self.assertRaisesRegex(lib.ConfigError, 'replication.exclude_tables must be a list of names'):
            lib.load_config(self.write({'node': {'role': 'master', 'address': 'a'}, 'peer': {'address': 'b'},
                                        'replication': {'exclude_tables': 'cel'}}))

    def test_located_errors(self):
        for doc, message in [
            ('{', 'cannot read'), ({'peer': {'address': 'x'}}, 'node is missing'),
            ({'node': {'role': 'master', 'address': 'a'}, 'peer': {}}, 'peer.address is missing'),
            ({'node': {'role': 'master', 'address': 'a'}, 'peer': {'address': 'b'}, 'replication': {'directories': ['/etc/../root']}},
             'replication.directories'),
        ]:
            with self.subTest(message=message):
                with self.assertRaisesRegex(lib.ConfigError, 'cluster.json: .*' + message):
                    lib.load_config(self.write(doc))


if __name__ == '__main__':
    unittest.main()
