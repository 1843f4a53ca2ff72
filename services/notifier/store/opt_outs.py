"""A person's "not by this channel", kept by address (E.164 phone or lower-case email)."""

import uuid

import asyncpg

_COLUMNS = "id, channel, address, opted_out_at"
OPT_OUT_INSERT = f"""
INSERT INTO opt_outs (id, channel, address) VALUES ($1, $2, $3)
ON CONFLICT (channel, address) DO NOTHING
RETURNING {_COLUMNS}
"""
OPT_OUT = f"SELECT {_COLUMNS} FROM opt_outs WHERE channel = $1 AND address = $2"
OPT_OUTS_OF = f"SELECT {_COLUMNS} FROM opt_outs WHERE address = $1 ORDER BY channel"
OPT_OUT_DELETE = f"DELETE FROM opt_outs WHERE id = $1 RETURNING {_COLUMNS}"


async def add(conn: asyncpg.Connection, channel: str, address: str) -> tuple[asyncpg.Record, bool]:
    """The opt-out, and whether it is new (asking again answers the first one)."""
    row = await conn.fetchrow(OPT_OUT_INSERT, uuid.uuid4(), channel, address)
    if row is not None:
        return row, True
    return await conn.fetchrow(OPT_OUT, channel, address), False


async def of_address(conn: asyncpg.Connection, address: str) -> list[asyncpg.Record]:
    return await conn.fetch(OPT_OUTS_OF, address)


async def remove(conn: asyncpg.Connection, opt_out_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(OPT_OUT_DELETE, opt_out_id)
