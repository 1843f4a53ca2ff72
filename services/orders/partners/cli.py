"""The operators' command for partners, beside the admin API; prints JSON.

    python -m services.orders.partners.cli create --name "Bank Kalteng" --hub plut-kalteng \\
        --scope orders:write --scope orders:read --callback-url https://bank.example/plut
    python -m services.orders.partners.cli list
    python -m services.orders.partners.cli rotate <partner id> [--previous-key-valid-seconds N]
    python -m services.orders.partners.cli revoke <partner id> <key prefix>

Reads DATABASE_URL as the orders service does, and migrates its schema first if need be.
"""

import argparse
import asyncio
import sys
import uuid
from contextlib import aclosing
from pathlib import Path

import asyncpg
from pydantic import BaseModel, ValidationError

from services.orders.app import Settings
from services.orders.partners import keys as partners
from services.orders.partners.models import NewKey, NewPartner, Partners
from shared.db import open_database, service_migrations
from shared.problems import Problem, from_validation_error


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="a new partner, with its first key")
    create.add_argument("--name", required=True)
    create.add_argument("--hub", dest="hubs", action="append", required=True)
    create.add_argument("--scope", dest="scopes", action="append", required=True)
    create.add_argument("--callback-url")
    create.add_argument("--requests-per-minute", type=int)
    create.add_argument(
        "--buyer-type",
        dest="buyer_types",
        action="append",
        help="a buyer type its orders may declare (default: the public's: bank, business, "
        "individual)",
    )
    commands.add_parser("list", help="every partner and its keys (prefixes only)")
    rotate = commands.add_parser("rotate", help="a new key; the old ones expire later")
    rotate.add_argument("partner_id", type=uuid.UUID)
    rotate.add_argument("--previous-key-valid-seconds", type=int)
    revoke = commands.add_parser("revoke", help="a key stops working now")
    revoke.add_argument("partner_id", type=uuid.UUID)
    revoke.add_argument("prefix")
    return top


async def run(args: argparse.Namespace) -> BaseModel:
    settings = Settings()
    migrations = service_migrations(Path(__file__).parents[1] / "migrations")
    opened = open_database(settings.database_url, "orders", migrations, timeout=10)
    async with aclosing(opened):
        async with (await anext(opened)).acquire() as conn:
            return await _act(conn, args, settings)


async def _act(conn: asyncpg.Connection, args: argparse.Namespace, settings: Settings) -> BaseModel:
    if args.command == "create":
        new = _given(NewPartner, args)
        return await partners.create_partner(conn, new, settings.callback_destinations())
    if args.command == "list":
        return Partners(partners=await partners.partners(conn))
    if args.command == "rotate":
        return await partners.rotate_key(conn, args.partner_id, _given(NewKey, args))
    return await partners.revoke_key(conn, args.partner_id, args.prefix)


def _given(model: type[BaseModel], args: argparse.Namespace) -> BaseModel:
    """The model from the options given; those left out take the model's defaults."""
    fields = {name: value for name, value in vars(args).items() if name in model.model_fields}
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        raise from_validation_error(error) from None


def main() -> None:
    try:
        result = asyncio.run(run(parser().parse_args()))
    except Problem as problem:
        print(problem.document("en"), file=sys.stderr)
        sys.exit(1)
    print(result.model_dump_json(indent=2))


if __name__ == "__main__":
    main()
