"""The console's pages, one module each; `routes()` gathers them for the app."""

from aiohttp import web

from services.console.pages import (
    bulk_orders,
    counter,
    counter_orders,
    handover,
    hubs,
    order_windows,
    orders,
    partners,
    producers,
    programme_counter,
    programme_files,
    programmes,
    queue,
    reports,
    sign_in,
    standing_orders,
    today,
)


def routes() -> list[web.AbstractRouteDef]:
    return [
        *sign_in.routes,
        *today.routes,
        *counter.routes,
        *counter_orders.routes,
        *bulk_orders.routes,
        *handover.routes,
        *queue.routes,
        *producers.routes,
        *orders.routes,
        *standing_orders.routes,
        *order_windows.routes,
        *programmes.routes,
        *programme_files.routes,
        *programme_counter.routes,
        *partners.routes,
        *hubs.routes,
        *reports.routes,
    ]
