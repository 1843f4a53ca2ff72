"""Continuous archiving on a private Postgres cluster, with the operators' own scripts
(ops/postgres/: archive-wal, base-backup, restore-to, restore-wal), so a test of point-in-time
recovery tests what the README tells an operator to run.

    source = await ArchivingPostgres.create()       # archive_mode=on into source.archive
    base = await source.base_backup()
    ...
    await source.archive_all()                      # every WAL written so far is archived
    restored = await RestoredPostgres.create(base, source.archive, "--name", "before")

Both are PrivatePostgres (tests/support/private_servers.py): as root, every Postgres command
and script runs as the `postgres` user, in directories handed over to it.
"""

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import asyncpg

from tests.support.private_servers import PrivatePostgres, ServerError, _run
from tools.local_services import ROOT

SCRIPTS = ROOT / "ops" / "postgres"


def _owned_dir(prefix: str) -> Path:
    """A new temporary directory the `postgres` user may write (when we are root)."""
    made = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(made, "postgres", "postgres")
    return made


class ArchivingPostgres(PrivatePostgres):
    """A private cluster archiving every finished WAL file into `archive` (archive-wal)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.archive = root / "archive"

    async def init(self) -> None:
        await super().init()
        await _run(*self._as_owner("mkdir", str(self.archive)))
        archive_command = f"sh {SCRIPTS}/archive-wal %p %f {self.archive}"
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("wal_level = replica\narchive_mode = on\n")
            conf.write(f"archive_command = '{archive_command}'\n")

    async def base_backup(self, archive: Path | None = None) -> Path:
        """base-backup into the archive (or another); answers the backup's directory."""
        output = await _run(
            *self._as_owner(
                "sh", str(SCRIPTS / "base-backup"), str(archive or self.archive),
                "--host", "127.0.0.1", "--port", str(self.port), "--username", "postgres",
            )
        )  # fmt: skip
        return Path(output.strip().splitlines()[-1])

    async def archive_all(self, database: str = "postgres") -> None:
        """Close the current WAL file and wait until the archiver has it: the sign that
        everything written so far can be recovered from the archive."""
        conn = await asyncpg.connect(self.url.rsplit("/", 1)[0] + f"/{database}")
        try:
            last = await conn.fetchval("SELECT pg_walfile_name(pg_switch_wal())")
            while True:
                archived, failed = await conn.fetchrow(
                    "SELECT last_archived_wal, last_failed_wal FROM pg_stat_archiver"
                )
                if archived is not None and archived[:24] >= last:
                    return
                if failed is not None and (archived is None or failed > archived):
                    raise ServerError(f"archive-wal failed on {failed}:\n{self.log_tail()}")
                await asyncio.sleep(0.1)
        finally:
            await conn.close()


async def prune(archive: Path, keep: int, pg_bin: Path) -> str:
    """prune-archive, with pg_archivecleanup from the cluster's binaries."""
    env = {**os.environ, "PATH": f"{pg_bin}:{os.environ['PATH']}"}
    return await _run(
        *_as_postgres("sh", str(SCRIPTS / "prune-archive"), str(archive), str(keep)), env=env
    )


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class RestoredPostgres(ArchivingPostgres):
    """A new cluster made by restore-to from a base backup and a WAL archive, started, and
    promoted once it reached its target. It archives its own new timeline into its own
    `archive`, leaving the source's as it was (and can be backed up and restored in turn)."""

    @classmethod
    async def create(cls, base: Path, archive: Path, *target: str) -> "RestoredPostgres":
        server = cls(_owned_dir("plut-restored-"))
        try:
            await _run(
                *server._as_owner(
                    "sh", str(SCRIPTS / "restore-to"), str(base), str(archive),
                    str(server.data), *target,
                )
            )  # fmt: skip
            await _run(*server._as_owner("mkdir", str(server.archive)))
            own = {
                "port": server.port,
                "unix_socket_directories": f"'{server.root}'",
                "archive_command": f"'sh {SCRIPTS}/archive-wal %p %f {server.archive}'",
            }
            with (server.data / "postgresql.auto.conf").open("a") as conf:
                conf.writelines(f"{key} = {value}\n" for key, value in own.items())
            await server.start()
            await server.promoted()
        except BaseException:
            await server.destroy()
            raise
        return server

    async def promoted(self) -> None:
        """Until recovery has reached its target and the cluster accepts writes; a recovery
        that stops short (a target the archive never reached) ends the server, and is told."""
        while True:
            if not (self.data / "postmaster.pid").exists():
                raise ServerError(f"the restored cluster stopped:\n{self.log_tail()}")
            try:
                conn = await asyncpg.connect(self.url)
                try:
                    recovering = await conn.fetchval("SELECT pg_is_in_recovery()")
                finally:
                    await conn.close()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                recovering = True  # not yet taking connections, or stopping: look again
            if not recovering:
                return
            await asyncio.sleep(0.1)
