"""The operators' admin API for partners: create one, read them, rotate and revoke keys."""

import uuid

from aiohttp import web

from services.orders import partners
from services.orders.auth import authenticate
from services.orders.partners import NewKey, NewPartner, Partners
from shared.web import DATABASE, json_response, read_json, uuid_in_path

routes = web.RouteTableDef()


async def _operator(request: web.Request) -> None:
    (await authenticate(request, None)).require_operator()


def _partner_id(request: web.Request) -> uuid.UUID:
    return uuid_in_path(request, "id", partners.PARTNER)


@routes.post("/v1/partners")
async def post_partner(request: web.Request) -> web.Response:
    """A new partner; the answer holds its API key and callback secret, shown only here."""
    await _operator(request)
    new = await read_json(request, NewPartner)
    async with request.app[DATABASE].acquire() as conn:
        issued = await partners.create_partner(conn, new)
    return json_response(issued, status=201)


@routes.get("/v1/partners")
async def get_partners(request: web.Request) -> web.Response:
    await _operator(request)
    async with request.app[DATABASE].acquire() as conn:
        found = await partners.partners(conn)
    return json_response(Partners(partners=found))


@routes.get("/v1/partners/{id}")
async def get_partner(request: web.Request) -> web.Response:
    await _operator(request)
    partner_id = _partner_id(request)
    async with request.app[DATABASE].acquire() as conn:
        return json_response(await partners.partner(conn, partner_id))


@routes.post("/v1/partners/{id}/keys")
async def post_key(request: web.Request) -> web.Response:
    """Rotate: a new key, and the old ones good for a while longer."""
    await _operator(request)
    partner_id = _partner_id(request)
    new = await read_json(request, NewKey)
    async with request.app[DATABASE].acquire() as conn:
        issued = await partners.rotate_key(conn, partner_id, new)
    return json_response(issued, status=201)


@routes.delete("/v1/partners/{id}/keys/{prefix}")
async def delete_key(request: web.Request) -> web.Response:
    """Revoke a key at once."""
    await _operator(request)
    partner_id = _partner_id(request)
    async with request.app[DATABASE].acquire() as conn:
        partner = await partners.revoke_key(conn, partner_id, request.match_info["prefix"])
    return json_response(partner)
