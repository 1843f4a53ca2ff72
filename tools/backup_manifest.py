"""What `plut backup` writes beside its dump, and what `plut restore` checks before it reads the
dump: when it was taken, by which version, what each schema held (its migrations and every
table's rows), and the dump file's name, size and sha256.

A manifest handed to `plut restore` is hostile until checked: its dump is a plain file name in
the manifest's own directory (no path, no symbolic link), every schema and table an identifier.
"""

import hashlib
import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Annotated, BinaryIO, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

FORMAT = "plut-backup"
MANIFEST_LIMIT = 1 << 20  # bytes: far above a manifest of every schema the services have
CHUNK = 1 << 20

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
DumpName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.dump$")]
MigrationName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_./-]{1,200}$")]


class BackupRefused(Exception):
    """Why a backup or restore did not happen, said plainly; nothing was written."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DumpFile(_Strict):
    file: DumpName
    bytes: int = Field(ge=1)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class SchemaContent(_Strict):
    migrations: list[MigrationName] = Field(max_length=10_000)
    tables: dict[Identifier, Annotated[int, Field(ge=0)]] = Field(max_length=10_000)


class Manifest(_Strict):
    format: Literal["plut-backup"] = FORMAT
    format_version: Literal[1] = 1
    created_at: AwareDatetime
    plut_version: Annotated[str, StringConstraints(max_length=50)]
    server_version: Annotated[str, StringConstraints(max_length=200)]
    database: Annotated[str, StringConstraints(max_length=63)]
    dump: DumpFile
    schemas: dict[Identifier, SchemaContent] = Field(max_length=1_000)

    @property
    def rows(self) -> int:
        return sum(sum(schema.tables.values()) for schema in self.schemas.values())

    @property
    def table_count(self) -> int:
        return sum(len(schema.tables) for schema in self.schemas.values())


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def sha256_of(file: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def read_manifest(path: Path) -> Manifest:
    try:
        with path.open("rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise BackupRefused(f"{path} is not a file")
            text = file.read(MANIFEST_LIMIT + 1)
    except OSError as error:
        raise BackupRefused(f"cannot read the manifest {path}: {error.strerror}") from None
    if len(text) > MANIFEST_LIMIT:
        raise BackupRefused(f"{path} is larger than any manifest: not a plut backup")
    try:
        return Manifest.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(the file)"
        raise BackupRefused(
            f"{path} is not a plut backup manifest: {where}: {first['msg']}"
        ) from None


def open_dump(manifest_path: Path, manifest: Manifest) -> BinaryIO:
    """The manifest's dump, opened once and checked (a regular file, not a link, its size and
    sha256 the manifest's), positioned at its start: what is restored is what was checked."""
    path = manifest_path.parent / manifest.dump.file
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as error:
        if os.path.islink(path):
            raise BackupRefused(f"{path} is a symbolic link: only the file itself") from None
        raise BackupRefused(f"cannot open the dump {path}: {error.strerror}") from None
    file = os.fdopen(fd, "rb")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BackupRefused(f"{path} is not a file")
        sha256, size = sha256_of(file)
        if (sha256, size) != (manifest.dump.sha256, manifest.dump.bytes):
            raise BackupRefused(
                f"{path} is not the file its manifest describes (sha256 or size differ): "
                "damaged or changed since the backup"
            )
        file.seek(0)
        os.set_blocking(fd, True)
    except BaseException:
        file.close()
        raise
    return file
