"""The operators' admin API for partners: create one, read and change them, rotate and revoke
keys."""

import uuid

from aiohttp import web

from services.orders.auth import OPERATOR_ONLY, Caller, as_admin
from services.orders.callbacks.destination import Destinations
from services.orders.partners import keys as partners
from services.orders.partners.models import (
    IssuedKey,
    NewKey,
    NewPartner,
    NewPartnerIssued,
    Partner,
    PartnerChanges,
    Partners,
)
from shared.openapi import documented
from shared.problems import Text
from shared.web import DATABASE, SETTINGS, json_response, uuid_in_path

routes = web.RouteTableDef()

# Partners and their keys are the admin's: a key lets a system order for a hub's buyers.
_OPERATOR = {"auth": "admin", "guard": as_admin, "problems": (OPERATOR_ONLY,)}
_ONE = {**_OPERATOR, "path": {"partner_id": uuid.UUID}}


@routes.post("/v1/partners")
@documented(
    operation_id="createPartner",
    summary=Text("Daftarkan mitra (kunci tampil sekali)", "Create a partner (key shown once)"),
    body=NewPartner,
    answers={201: NewPartnerIssued},
    **_OPERATOR,
)
async def post_partner(request: web.Request, _: Caller, new: NewPartner) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        issued = await partners.create_partner(conn, new, _destinations(request))
    return json_response(issued, status=201)


@routes.get("/v1/partners")
@documented(
    operation_id="listPartners",
    summary=Text("Semua mitra", "Every partner"),
    answers={200: Partners},
    **_OPERATOR,
)
async def get_partners(request: web.Request, _: Caller) -> web.Response:
    async with request.app[DATABASE].acquire() as conn:
        found = await partners.partners(conn)
    return json_response(Partners(partners=found))


@routes.get("/v1/partners/{partner_id}")
@documented(
    operation_id="getPartner",
    summary=Text("Satu mitra", "One partner"),
    answers={200: Partner},
    **_ONE,
)
async def get_partner(request: web.Request, _: Caller) -> web.Response:
    partner_id = uuid_in_path(request, "partner_id", partners.PARTNER)
    async with request.app[DATABASE].acquire() as conn:
        return json_response(await partners.partner(conn, partner_id))


@routes.patch("/v1/partners/{partner_id}")
@documented(
    operation_id="updatePartner",
    summary=Text(
        "Ubah jenis pembeli, cakupan atau callback_url mitra",
        "Change a partner's buyer types, scopes or callback",
    ),
    body=PartnerChanges,
    answers={200: Partner},
    **_ONE,
)
async def patch_partner(request: web.Request, _: Caller, changes: PartnerChanges) -> web.Response:
    partner_id = uuid_in_path(request, "partner_id", partners.PARTNER)
    async with request.app[DATABASE].acquire() as conn:
        changed = await partners.change_partner(conn, partner_id, changes, _destinations(request))
    return json_response(changed)


@routes.post("/v1/partners/{partner_id}/keys")
@documented(
    operation_id="rotatePartnerKey",
    summary=Text(
        "Ganti kunci; yang lama berlaku sebentar", "Rotate: a new key, the old for a while"
    ),
    body=NewKey,
    answers={201: IssuedKey},
    **_ONE,
)
async def post_key(request: web.Request, _: Caller, new: NewKey) -> web.Response:
    partner_id = uuid_in_path(request, "partner_id", partners.PARTNER)
    async with request.app[DATABASE].acquire() as conn:
        issued = await partners.rotate_key(conn, partner_id, new)
    return json_response(issued, status=201)


@routes.delete("/v1/partners/{partner_id}/keys/{prefix}")
@documented(
    operation_id="revokePartnerKey",
    summary=Text("Cabut kunci seketika", "Revoke a key now"),
    answers={200: Partner},
    **_ONE,
)
async def delete_key(request: web.Request, _: Caller) -> web.Response:
    partner_id = uuid_in_path(request, "partner_id", partners.PARTNER)
    async with request.app[DATABASE].acquire() as conn:
        partner = await partners.revoke_key(conn, partner_id, request.match_info["prefix"])
    return json_response(partner)


def _destinations(request: web.Request) -> Destinations:
    """Where the operator allows callbacks to go (the orders service's settings)."""
    return request.app[SETTINGS].callback_destinations()
