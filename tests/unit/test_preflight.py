"""tools/preflight.py: the suite is stopped before it starts, saying how to mend it, when
Postgres would refuse the connections its two workers open at once (the default 100 does)."""

from tools.preflight import CONNECTIONS_NEEDED, connections_problem, problems


def test_postgres_at_its_default_of_100_connections_is_named_with_what_the_suite_needs():
    problem = connections_problem("postgresql://postgres@db:5432/postgres", 100)

    assert problem is not None
    assert "allows 100 connections" in problem and str(CONNECTIONS_NEEDED) in problem


def test_enough_connections_is_no_problem():
    assert connections_problem("postgresql://postgres@db:5432/postgres", CONNECTIONS_NEEDED) is None


async def test_the_servers_the_suite_runs_against_pass_the_check():
    assert await problems() == []
