"""Errors as a person at a browser sees them: a page in their language; a script still gets
problem+json, like from every other service."""

import structlog
from aiohttp import web

from services.console import uploads
from services.console.backends import BackendError
from services.console.views import language, render, text
from shared.problems import Problem, Text

log = structlog.get_logger(__name__)


def _browser(request: web.Request) -> bool:
    return "text/html" in request.headers.get("Accept", "")


@web.middleware
async def error_pages(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        if not _browser(request):
            raise
        document = problem.document(language(request))
        return render(request, "error.html", {"problem": document}, status=problem.status)
    except web.HTTPRequestEntityTooLarge:
        if not _browser(request):
            raise
        too_big = {"title": text(request, uploads.TOO_BIG)}
        return render(request, "error.html", {"problem": too_big}, status=413)
    except web.HTTPNotFound:
        if not _browser(request):
            raise
        missing = {"title": text(request, Text("Halaman tidak ada", "No such page"))}
        return render(request, "error.html", {"problem": missing}, status=404)
    except BackendError as error:
        log.warning("a service refused", service=error.service, status=error.status)
        status = error.status if error.status < 500 else 502
        if not _browser(request):
            raise Problem(
                status,
                "backend-refused",
                Text(str(error.problem.get("title")), str(error.problem.get("title"))),
            ) from None
        return render(request, "error.html", {"problem": error.problem}, status=status)
