"""A request's unit of work, and the problem it answers when a key it found free was taken
before it was written."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from services.intake.handlers.problems import taken_problem
from services.intake.store import Taken
from services.intake.store.unit_of_work import UnitOfWork, unit_of_work
from shared.problems import Problem
from shared.web import DATABASE


@asynccontextmanager
async def request_unit(
    request: web.Request, on_taken: Callable[[Taken], Problem] = taken_problem
) -> AsyncIterator[UnitOfWork]:
    try:
        async with unit_of_work(request.app[DATABASE]) as uow:
            yield uow
    except Taken as taken:
        raise on_taken(taken) from None
