"""docker-compose.yml's backups, checked without a Docker engine: compose's Postgres archives
with the very scripts tests/integration/test_backup_pitr.py runs, into a volume; plut in the
admin container has pg_dump and a volume to write its backups to; and every ops/postgres
script the operators' page tells them to run is there."""

import re
import shlex

from tests.support.compose import COMPOSE_FILE, ROOT, compose_services, environment

DOCS = ROOT / "docs" / "backup-and-recovery.md"
README = ROOT / "README.md"


def mounts(service: dict) -> dict[str, str]:
    """Container path -> what is mounted there (a volume's name, or a host path from ROOT)."""
    found = {}
    for spec in service.get("volumes", []):
        source, target, *_ = spec.split(":")
        found[target] = source
    return found


def host_path(service: dict, path: str):
    """The repository file a container path of the service is, through a bind mount."""
    for target, source in mounts(service).items():
        if source.startswith("./") and path.startswith(target + "/"):
            return COMPOSE_FILE.parent / source / path[len(target) + 1 :]
    raise AssertionError(f"{path} is not in a bind mount of the repository")


def test_postgres_archives_its_wal_with_the_tested_script_into_a_volume():
    postgres = compose_services()["postgres"]
    settings = dict(
        item.split("=", 1) for item in postgres["command"] if "=" in item and not item[0] == "-"
    )
    assert settings["archive_mode"] == "on" and settings["wal_level"] == "replica"
    shell, script, *arguments = shlex.split(settings["archive_command"])
    assert shell == "sh" and arguments[:2] == ["%p", "%f"]
    assert host_path(postgres, script) == ROOT / "ops" / "postgres" / "archive-wal"
    archive = arguments[2]
    assert mounts(postgres)[archive] == "postgres-archive"
    # The entrypoint hands the (root-made) mount to the postgres user before Postgres starts.
    assert f"-o postgres -g postgres -m 700 {archive} &&" in " ".join(postgres["entrypoint"])


def test_plut_in_the_admin_container_writes_backups_to_a_volume_with_pg_dump_at_hand():
    """Backups read every schema, which no service's role may: they run in the admin container,
    and the console (open to the internet) keeps no backup and no such credential."""
    services = compose_services()
    admin = services["admin"]
    backups = environment(admin)["PLUT_BACKUP_DIR"]
    assert mounts(admin)[backups] == "backups"
    assert "backups" not in mounts(services["console"]).values()
    assert "PLUT_BACKUP_DIR" not in environment(services["console"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "postgresql-client" in dockerfile
    assert f"install -d -o app -g app -m 700 {backups}" in dockerfile


def test_every_script_the_operators_page_runs_is_there():
    named = set(re.findall(r"/ops/postgres/([\w-]+)", DOCS.read_text() + README.read_text()))
    assert named >= {"base-backup", "restore-to", "prune-archive"}
    for script in named:
        assert (ROOT / "ops" / "postgres" / script).is_file(), script
