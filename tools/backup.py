"""`plut backup` and `plut restore`: the whole database as one pg_dump (custom format) and its
manifest (tools/backup_manifest.py), and back into an empty database.

The dump and the manifest's row counts come from one snapshot (exported by a repeatable-read
transaction and handed to pg_dump), so they agree while the services write. The restore is in
tools/restore.py; the helpers here (the programs, the connection) serve both.
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


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def binary(name: str) -> str:
    """PG_BIN's, else PATH's (Debian's postgresql-client, in the image too)."""
    if pg_bin := os.environ.get("PG_BIN"):
        return str(Path(pg_bin) / name)
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(f"{name} is not installed (Debian: postgresql-client; or set PG_BIN)")
    return found


def libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password (seen by anyone listing processes), and the environment
    that gives it to pg_dump, pg_restore and psql."""
    url = URL(database_url)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    return str(url.with_password(None)), env


async def connect(database_url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(database_url, timeout=10)
    except (OSError, asyncpg.PostgresError) as error:
        where = URL(database_url).with_password(None)
        raise BackupRefused(f"cannot reach the database {where}: {error}") from None


async def start(command: Sequence[str], env: dict[str, str], **streams):
    return await asyncio.create_subprocess_exec(
        *command, env=env, stdout=streams.pop("stdout", asyncio.subprocess.PIPE),
        stderr=asyncio.subprocess.PIPE, **streams,
    )  # fmt: skip


async def finished(process: asyncio.subprocess.Process, name: str) -> None:
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise BackupRefused(f"{name} failed: {errors.decode().strip()}")


async def _run(command: Sequence[str], env: dict[str, str], **streams) -> None:
    await finished(await start(command, env, **streams), Path(command[0]).name)


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
    url, env = libpq(database_url)
    conn = await connect(database_url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            schemas = await _contents(conn)
            server_version = await conn.fetchval("SHOW server_version")
            database = await conn.fetchval("SELECT current_database()")
            command = [binary("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
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
            f"SELECT count(*) FROM {quoted(row['schema'])}.{quoted(row['name'])}"
        )
        tables.setdefault(row["schema"], {})[row["name"]] = count
    contents = {}
    for schema, counts in tables.items():
        migrations = []
        if "schema_migrations" in counts:
            migrations = [
                r["name"]
                for r in await conn.fetch(
                    f"SELECT name FROM {quoted(schema)}.schema_migrations ORDER BY name"
                )
            ]
        contents[schema] = SchemaContent(migrations=migrations, tables=counts)
    return contents


def _version() -> str:
    try:
        return metadata.version("plut-hub")
    except metadata.PackageNotFoundError:
        return "unknown"
