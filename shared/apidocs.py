"""Every service serves its API document: `GET /v1/openapi.json`, and `GET /v1/docs`, the same
document as a page people read (shared/apidocs_page.py: no script, nothing from elsewhere);
and the whole hub's in one document, `GET /v1/openapi-all.json` (shared/openapi_merge.py)."""

import functools
import json
from importlib.metadata import version

from aiohttp import web

from shared.apidocs_page import page
from shared.openapi import HTML, documented
from shared.openapi_document import openapi_document
from shared.openapi_merge import MERGED_PATH, with_servers
from shared.problems import Text
from shared.web import SETTINGS

DOCUMENT = web.AppKey("openapi_document", str)
PAGE = web.AppKey("docs_page", str)

routes = web.RouteTableDef()


def publish(app: web.Application, service: str) -> None:
    """Build the document and its page once, from the app's routes as they are now."""
    public_urls = app[SETTINGS].public_urls
    here = public_urls.get(service, f"http://localhost:{app[SETTINGS].http_port}")
    document = openapi_document(
        app.router,
        service=service,
        servers=[{"url": here, "description": f"Layanan / The service {service}"}],
        title=f"PLUT {service}",
        about=Text(
            f"Layanan {service} pusat pemesanan PLUT. Setiap kesalahan dijawab sebagai "
            "application/problem+json (RFC 9457); kirim Accept-Language: en untuk bahasa Inggris.",
            f"The {service} service of the PLUT pre-order hub. Every error is answered as "
            "application/problem+json (RFC 9457); send Accept-Language: en for English.",
        ),
        version=version("plut-hub"),
    )
    app[DOCUMENT] = json.dumps(document)
    app[PAGE] = page(document)


@routes.get("/v1/openapi.json")
@documented(
    operation_id="openapi",
    tag="system",
    summary=Text("Dokumen OpenAPI layanan ini", "This service's OpenAPI document"),
    answers={200: dict},
)
async def get_openapi(request: web.Request) -> web.Response:
    return web.Response(text=request.app[DOCUMENT], content_type="application/json")


@routes.get("/v1/openapi-all.json")
@documented(
    operation_id="openapiAll",
    tag="system",
    summary=Text(
        "Satu dokumen OpenAPI untuk semua layanan", "One OpenAPI document for every service"
    ),
    answers={200: dict},
)
async def get_openapi_all(request: web.Request) -> web.Response:
    public_urls = json.dumps(request.app[SETTINGS].public_urls, sort_keys=True)
    return web.Response(text=_merged(public_urls), content_type="application/json")


@functools.cache
def _merged(public_urls: str) -> str:
    """The merged document as built from every service's routes (tools/api_documents.py: a
    service cannot import the others'), with the servers of this deployment."""
    return json.dumps(with_servers(json.loads(MERGED_PATH.read_text()), json.loads(public_urls)))


@routes.get("/v1/docs")
@documented(
    operation_id="docs",
    tag="system",
    summary=Text("Dokumentasi API", "API documentation"),
    answers={200: HTML},
)
async def get_docs(request: web.Request) -> web.Response:
    return web.Response(text=request.app[PAGE], content_type=HTML)
