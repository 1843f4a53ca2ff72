"""Operators set how a product is shared; anyone may read the active policy. The draws name
every entrant's order, whoever placed it: operators only."""

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ValidationError

from services.allocator.handlers.policy import set_policy
from services.allocator.rules.policies import ActivePolicy, PolicyRules
from services.allocator.store import allocations
from services.allocator.store import policies as stored_policies
from services.allocator.store.unit_of_work import UnitOfWork
from shared.events import Envelope
from shared.fields import HubCode, Sku
from shared.openapi import documented
from shared.problems import Text, from_validation_error
from shared.web import DATABASE, current_correlation_id, json_response

routes = web.RouteTableDef()

PRODUCT_PATH = "/v1/hubs/{hub}/products/{sku}"
PRODUCT = {"hub": HubCode, "sku": Sku}  # the path parameters of PRODUCT_PATH


class Draw(BaseModel):
    """A lottery's result can be checked by anyone: `services.allocator.rules.allocation.draw`
    over each class's entrants (in queue order) with this seed gives the order in which they were
    served.
    """

    id: int
    policy_version: int
    seed: int
    entrants: dict[str, list[str]]
    units: int
    drawn_at: datetime


class Draws(BaseModel):
    hub: str
    sku: str
    draws: list[Draw]


class ProductPath(BaseModel):
    hub: HubCode
    sku: Sku


def product_in_path(request: web.Request) -> tuple[str, str]:
    """The hub and product a path names; 422, naming the parameter, when either is not a code."""
    try:
        path = ProductPath.model_validate(dict(request.match_info))
    except ValidationError as error:
        raise from_validation_error(error) from None
    return path.hub, path.sku


@routes.put(PRODUCT_PATH + "/policy")
@documented(
    operation_id="setPolicy",
    summary=Text("Tetapkan cara produk dibagi", "Set how a product is shared"),
    body=PolicyRules,
    answers={200: ActivePolicy},
    auth="operator",
    path=PRODUCT,
)
async def put_policy(request: web.Request, rules: PolicyRules) -> web.Response:
    """A new version of the product's policy (see `handlers.policy.set_policy`)."""
    hub, sku = product_in_path(request)
    correlation_id = current_correlation_id()

    def announce(payload):
        return Envelope.wrap(payload, hub=hub, correlation_id=correlation_id)

    async with request.app[DATABASE].acquire() as conn, conn.transaction():
        uow = UnitOfWork(conn)
        await set_policy(uow, hub, sku, rules, announce)
        await uow.flush()
        active = await stored_policies.active_view(conn, hub, sku)
    return json_response(active)


@routes.get(PRODUCT_PATH + "/policy")
@documented(
    operation_id="getPolicy",
    summary=Text("Cara produk dibagi saat ini", "How a product is shared now"),
    answers={200: ActivePolicy},
    path=PRODUCT,
    problems=(422,),
)
async def get_policy(request: web.Request) -> web.Response:
    hub, sku = product_in_path(request)
    async with request.app[DATABASE].acquire() as conn:
        return json_response(await stored_policies.active_view(conn, hub, sku))


@routes.get(PRODUCT_PATH + "/draws")
@documented(
    operation_id="getDraws",
    summary=Text("Undian terakhir", "The latest lottery draws"),
    answers={200: Draws},
    auth="operator",
    path=PRODUCT,
    problems=(422,),
)
async def get_draws(request: web.Request) -> web.Response:
    """The latest lottery draws, each with its seed and entrants, newest first."""
    hub, sku = product_in_path(request)
    async with request.app[DATABASE].acquire() as conn:
        rows = await conn.fetch(allocations.DRAWS, hub, sku)
    draws = [Draw.model_validate(dict(row)) for row in rows]
    return json_response(Draws(hub=hub, sku=sku, draws=draws))
