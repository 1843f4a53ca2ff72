"""`plut restore`: a backup (tools/backup.py) into an empty database, as one transaction: what
the dump holds, then a check that every table of the manifest has its rows; any error, a
cut-short dump among them, and nothing stays.
"""

import asyncio
import os
from pathlib import Path

from tools.backup import TABLES, binary, connect, finished, libpq, quoted, start
from tools.backup_manifest import BackupRefused, Manifest, open_dump, read_manifest

# What makes a database not empty: a schema of its own, or anything in `public`.
CONTENT = """
SELECT nspname FROM pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%'
UNION ALL
SELECT 'public' WHERE EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                              WHERE n.nspname = 'public')
ORDER BY 1
"""


async def restore(database_url: str, manifest_path: Path, *, force: bool) -> Manifest:
    """The backup of the manifest into the database, which must be empty unless `force`
    (then what it holds is replaced, in the same transaction)."""
    manifest = read_manifest(manifest_path)
    with open_dump(manifest_path, manifest) as dump:
        conn = await connect(database_url)
        try:
            held = [row["nspname"] for row in await conn.fetch(CONTENT)]
        finally:
            await conn.close()
        if held and not force:
            raise BackupRefused(
                f"the database is not empty (it holds {', '.join(held)}): restore into an "
                "empty one, or --force to replace what it holds"
            )
        url, env = libpq(database_url)
        reader, writer = os.pipe()
        psql = [binary("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
                "--single-transaction", f"--dbname={url}"]  # fmt: skip
        psql += [f"--command={statement}" for statement in _replacing(held)]
        psql += ["--file=-", f"--command={_check(manifest)}"]
        pg_restore = [binary("pg_restore"), "--no-owner", "--no-privileges", "--file=-"]
        try:
            # Both started before the parent lets go of the pipe's ends: psql sees its input
            # end only when pg_restore, the one writer left, is done.
            restoring = await start(pg_restore, env, stdin=dump, stdout=writer)
            applying = await start(psql, env, stdin=reader)
            os.close(writer)
            os.close(reader)
            reader = writer = -1
            outcomes = await asyncio.gather(
                finished(applying, "psql"),
                finished(restoring, "pg_restore"),
                return_exceptions=True,
            )
            # psql's error first: a refused check is the reason, pg_restore's broken pipe not.
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
        finally:
            for fd in (reader, writer):
                if fd >= 0:
                    os.close(fd)
    return manifest


def _replacing(held: list[str]) -> list[str]:
    """What --force drops first: every schema the database holds; `public` made anew as
    Postgres makes it."""
    statements = [f"DROP SCHEMA {quoted(schema)} CASCADE" for schema in held]
    if "public" in held:
        statements += [
            "CREATE SCHEMA public AUTHORIZATION pg_database_owner",
            "GRANT USAGE ON SCHEMA public TO PUBLIC",
        ]
    return statements


def _check(manifest: Manifest) -> str:
    """A statement that fails (so the transaction rolls back) unless every table the manifest
    names has its rows and the database has no other table."""
    lines = ["DO $plut$ DECLARE found bigint; BEGIN"]
    for schema, content in manifest.schemas.items():
        for table, rows in content.tables.items():
            lines.append(
                f"SELECT count(*) INTO found FROM {quoted(schema)}.{quoted(table)}; "
                f"IF found <> {rows} THEN RAISE EXCEPTION "
                f"'{schema}.{table} has % rows, its manifest {rows}', found; END IF;"
            )
    lines.append(
        f"SELECT count(*) INTO found FROM ({TABLES}) AS restored; "
        f"IF found <> {manifest.table_count} THEN RAISE EXCEPTION "
        f"'% tables restored, the manifest names {manifest.table_count}', found; END IF;"
    )
    lines.append("END $plut$")
    return "\n".join(lines)
