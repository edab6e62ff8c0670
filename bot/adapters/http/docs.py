"""``/docs``: Swagger UI served from the files of the ``swagger-ui-bundle-v2`` package
(Swagger UI 5, which reads the OpenAPI 3.1 that FastAPI writes).

FastAPI's default page loads Swagger UI from a CDN, so on a machine without the
internet (where Blastwall is often run) ``/docs`` was blank. Here every asset comes
from this process; ``/openapi.json`` is unchanged.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/static"


def install_offline_docs(app: FastAPI) -> None:
    """Call with ``FastAPI(docs_url=None, redoc_url=None)``; adds ``/docs`` and its assets."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-static")

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    app.add_api_route("/docs", docs, include_in_schema=False)
