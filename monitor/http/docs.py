"""``GET /api/docs``: Swagger UI over ``/api/openapi.json``, every asset served by the app.

Offices run orglife on intranets without a CDN, so the page loads Swagger UI's script, style
and icon from ``/api/docs/static/``: the files the ``fastapi-offline`` package bundles. The
validator badge is off (it would send the document's address to validator.swagger.io).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS = "/api/docs"
STATIC = "/api/docs/static"
router = APIRouter(include_in_schema=False)


@router.get(DOCS, response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    assert request.app.openapi_url is not None
    return get_swagger_ui_html(
        openapi_url=root + request.app.openapi_url,
        title=f"{request.app.title} API",
        swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC}/favicon.png",
        swagger_ui_parameters={"validatorUrl": None},
    )


def mount_assets(app: FastAPI) -> None:
    """Serve the bundled Swagger UI files (with ETag and Last-Modified) under :data:`STATIC`."""
    app.mount(STATIC, StaticFiles(packages=[("fastapi_offline", "static")]), name="swagger-ui")
