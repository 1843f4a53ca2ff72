"""`plut backup` and `plut restore`: the whole database as one pg_dump (custom format) and its
manifest (tools/backup_manifest.py), and back into an empty database.

The dump and the manifest's row counts come from one snapshot (exported by a repeatable-read
transaction and handed to pg_dump), so they agree while the services write. A restore is one
transaction: what the dump holds, then a check that every table of the manifest has its rows;
any error, a cut-short dump among them, and nothing stays.
"""

import asyncio
import os
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import asyncpg
from yarl import URL

from tools.backup_manifest import (
    BackupRefused,
    DumpFile,
    Manifest,
    SchemaContent,
    open_dump,
    read_manifest,
    sha256_of,
    stamp,
)

TABLES = """
SELECT n.nspname AS schema, c.relname AS name FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2
"""
# What makes a database not empty: a schema of its own, or anything in `public`.
CONTENT = """
SELECT nspname FROM pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%'
UNION ALL
SELECT 'public' WHERE EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                              WHERE n.nspname = 'public')
ORDER BY 1
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _binary(name: str) -> str:
    """PG_BIN's, else PATH's (Debian's postgresql-client, in the image too)."""
    if pg_bin := os.environ.get("PG_BIN"):
        return str(Path(pg_bin) / name)
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(f"{name} is not installed (Debian: postgresql-client; or set PG_BIN)")
    return found


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password (seen by anyone listing processes), and the environment
    that gives it to pg_dump, pg_restore and psql."""
    url = URL(database_url)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    return str(url.with_password(None)), env


async def _connect(database_url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(database_url, timeout=10)
    except (OSError, asyncpg.PostgresError) as error:
        where = URL(database_url).with_password(None)
        raise BackupRefused(f"cannot reach the database {where}: {error}") from None


async def _start(command: Sequence[str], env: dict[str, str], **streams):
    return await asyncio.create_subprocess_exec(
        *command, env=env, stdout=streams.pop("stdout", asyncio.subprocess.PIPE),
        stderr=asyncio.subprocess.PIPE, **streams,
    )  # fmt: skip


async def _finished(process: asyncio.subprocess.Process, name: str) -> None:
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise BackupRefused(f"{name} failed: {errors.decode().strip()}")


async def _run(command: Sequence[str], env: dict[str, str], **streams) -> None:
    await _finished(await _start(command, env, **streams), Path(command[0]).name)


async def backup(database_url: str, out_dir: Path) -> Path:
    """The dump and its manifest in `out_dir`; answers the manifest's path."""
    if not out_dir.is_dir():
        raise BackupRefused(f"{out_dir} is not a directory")
    taken = datetime.now(UTC)
    name = f"plut-{stamp(taken)}"
    dump_path, manifest_path = out_dir / f"{name}.dump", out_dir / f"{name}.json"
    if dump_path.exists() or manifest_path.exists():
        raise BackupRefused(f"{dump_path} is there already")
    partial = out_dir / f".{name}.dump.partial"
    url, env = _libpq(database_url)
    conn = await _connect(database_url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            schemas = await _contents(conn)
            server_version = await conn.fetchval("SHOW server_version")
            database = await conn.fetchval("SELECT current_database()")
            command = [_binary("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                       f"--file={partial}", f"--dbname={url}"]  # fmt: skip
            await _run(command, env)
        with partial.open("rb") as file:
            sha256, size = sha256_of(file)
            os.fsync(file.fileno())
        manifest = Manifest(
            created_at=taken, plut_version=_version(), server_version=server_version,
            database=database, dump=DumpFile(file=dump_path.name, bytes=size, sha256=sha256),
            schemas=schemas,
        )  # fmt: skip
        written = out_dir / f".{name}.json.partial"
        written.write_text(manifest.model_dump_json(indent=2) + "\n")
        partial.rename(dump_path)
        written.rename(manifest_path)  # last: a manifest names a whole dump
    finally:
        await conn.close()
        partial.unlink(missing_ok=True)
        (out_dir / f".{name}.json.partial").unlink(missing_ok=True)
    return manifest_path


async def _contents(conn: asyncpg.Connection) -> dict[str, SchemaContent]:
    tables: dict[str, dict[str, int]] = {}
    for row in await conn.fetch(TABLES):
        count = await conn.fetchval(
            f"SELECT count(*) FROM {_quoted(row['schema'])}.{_quoted(row['name'])}"
        )
        tables.setdefault(row["schema"], {})[row["name"]] = count
    contents = {}
    for schema, counts in tables.items():
        migrations = []
        if "schema_migrations" in counts:
            migrations = [
                r["name"]
                for r in await conn.fetch(
                    f"SELECT name FROM {_quoted(schema)}.schema_migrations ORDER BY name"
                )
            ]
        contents[schema] = SchemaContent(migrations=migrations, tables=counts)
    return contents


def _version() -> str:
    try:
        return metadata.version("plut-hub")
    except metadata.PackageNotFoundError:
        return "unknown"


async def restore(database_url: str, manifest_path: Path, *, force: bool) -> Manifest:
    """The backup of the manifest into the database, which must be empty unless `force`
    (then what it holds is replaced, in the same transaction)."""
    manifest = read_manifest(manifest_path)
    with open_dump(manifest_path, manifest) as dump:
        conn = await _connect(database_url)
        try:
            held = [row["nspname"] for row in await conn.fetch(CONTENT)]
        finally:
            await conn.close()
        if held and not force:
            raise BackupRefused(
                f"the database is not empty (it holds {', '.join(held)}): restore into an "
                "empty one, or --force to replace what it holds"
            )
        url, env = _libpq(database_url)
        reader, writer = os.pipe()
        psql = [_binary("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
                "--single-transaction", f"--dbname={url}"]  # fmt: skip
        psql += [f"--command={statement}" for statement in _replacing(held)]
        psql += ["--file=-", f"--command={_check(manifest)}"]
        pg_restore = [_binary("pg_restore"), "--no-owner", "--no-privileges", "--file=-"]
        try:
            # Both started before the parent lets go of the pipe's ends: psql sees its input
            # end only when pg_restore, the one writer left, is done.
            restoring = await _start(pg_restore, env, stdin=dump, stdout=writer)
            applying = await _start(psql, env, stdin=reader)
            os.close(writer)
            os.close(reader)
            reader = writer = -1
            outcomes = await asyncio.gather(
                _finished(applying, "psql"),
                _finished(restoring, "pg_restore"),
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
    statements = [f"DROP SCHEMA {_quoted(schema)} CASCADE" for schema in held]
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
                f"SELECT count(*) INTO found FROM {_quoted(schema)}.{_quoted(table)}; "
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
