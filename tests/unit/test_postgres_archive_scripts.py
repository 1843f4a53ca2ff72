"""ops/postgres's scripts on their own, without Postgres: what archive-wal does with a file of the
same name, what restore-to writes and what it refuses (tests/integration/test_backup_pitr.py
runs them all against real clusters)."""

import gzip
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from tools.local_services import ROOT

SCRIPTS = ROOT / "ops" / "postgres"


def script(name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(SCRIPTS / name), *arguments], capture_output=True, text=True, timeout=60
    )


def test_archive_wal_keeps_a_file_and_takes_the_same_one_again_but_never_another(tmp_path):
    segment = tmp_path / "000000010000000000000001"
    segment.write_bytes(b"wal" * 1000)
    archive = tmp_path / "archive"
    arguments = (str(segment), segment.name, str(archive))
    assert script("archive-wal", *arguments).returncode == 0
    archived = archive / "wal" / f"{segment.name}.gz"
    assert gzip.decompress(archived.read_bytes()) == segment.read_bytes()
    assert script("archive-wal", *arguments).returncode == 0  # asked again after a crash
    segment.write_bytes(b"another cluster's")
    refused = script("archive-wal", *arguments)
    assert refused.returncode == 1 and "differs" in refused.stderr
    assert gzip.decompress(archived.read_bytes()) == b"wal" * 1000
    assert [path.name for path in (archive / "wal").iterdir()] == [archived.name]


def test_restore_wal_says_when_the_archive_has_no_such_file(tmp_path):
    (tmp_path / "wal").mkdir()
    missing = script("restore-wal", "00000002.history", str(tmp_path / "x"), str(tmp_path))
    assert missing.returncode == 1 and not (tmp_path / "x").exists()


@pytest.fixture
def base(tmp_path) -> Path:
    """A stand-in for a base backup: a tar of one file."""
    made = tmp_path / "base" / "20261205T030000Z"
    made.mkdir(parents=True)
    files = {
        "PG_VERSION": b"16\n",
        # As a base backup taken after an earlier recovery has it.
        "postgresql.auto.conf": b"work_mem = '8MB'\nrestore_command = 'cp /old/%f %p'\n"
        b"recovery_target_time = '2026-11-01 08:00:00+07'\n",
    }
    with tarfile.open(made / "base.tar.gz", "w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    (tmp_path / "archive" / "wal").mkdir(parents=True)
    return made


def test_restore_to_a_time_writes_recovery_and_sets_aside_what_was_there(tmp_path, base):
    pgdata = tmp_path / "data"
    pgdata.mkdir()
    (pgdata / "old").write_text("the data that was")
    archive = tmp_path / "archive"
    moment = "2026-12-05 10:41:00+07"
    done = script("restore-to", str(base), str(archive), str(pgdata), "--time", moment,
                  "--set-aside")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (pgdata / "PG_VERSION").read_text() == "16\n" and (pgdata / "recovery.signal").exists()
    settings = (pgdata / "postgresql.auto.conf").read_text()
    assert f"recovery_target_time = '{moment}'" in settings
    assert f"restore_command = 'sh {SCRIPTS}/restore-wal %f %p {archive}'" in settings
    assert "recovery_target_action = 'promote'" in settings
    assert "work_mem = '8MB'" in settings  # the rest of the backup's settings kept
    assert "2026-11-01" not in settings and "/old/" not in settings
    [aside] = (archive / "set-aside").iterdir()
    assert (aside / "old").read_text() == "the data that was"


def test_restore_to_a_restore_point_leaves_no_earlier_target(tmp_path, base):
    pgdata = tmp_path / "data"
    done = script("restore-to", str(base), str(tmp_path / "archive"), str(pgdata), "--name",
                  "before-upgrade")  # fmt: skip
    assert done.returncode == 0, done.stderr
    targets = [
        line
        for line in (pgdata / "postgresql.auto.conf").read_text().splitlines()
        if line.startswith("recovery_target") and "action" not in line
    ]
    assert targets == ["recovery_target_name = 'before-upgrade'"]


def test_restore_to_refuses_data_it_would_overwrite(tmp_path, base):
    pgdata = tmp_path / "data"
    pgdata.mkdir()
    (pgdata / "old").write_text("the data that was")
    refused = script("restore-to", str(base), str(tmp_path / "archive"), str(pgdata), "--latest")
    assert refused.returncode == 1 and "not empty" in refused.stderr
    assert [path.name for path in pgdata.iterdir()] == ["old"]


@pytest.mark.parametrize(
    "target",
    [
        ("--time", "2026-12-05'\narchive_command = 'rm -rf /"),
        ("--time", "10:41' --"),
        ("--name", "before'upgrade"),
        ("--name", "a b"),
        ("--name", ""),
        ("--when", "yesterday"),
        (),
    ],
)
def test_restore_to_refuses_a_target_that_is_not_one(tmp_path, base, target):
    pgdata = tmp_path / "data"
    refused = script("restore-to", str(base), str(tmp_path / "archive"), str(pgdata), *target)
    assert refused.returncode == 2, refused.stderr
    assert not pgdata.exists()
