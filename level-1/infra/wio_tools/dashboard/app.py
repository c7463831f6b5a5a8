"""The Starlette app: two pages, five JSON endpoints, static files, and a strict CSP.

Routes::

    GET /                        device list page (?lang=en|ja)
    GET /device?id=<thing>       one device's charts (404 page when the device is unknown)
    GET /api/devices?page=N      one page of the device list (at most 100 devices)
    GET /api/readings?id=<thing>&range=hour|day|week[&after=T][&before=T][&limit=N]
                                 readings in columns, newest N; ``after``/``before``: only
                                 newer/older than T (live updates / the rest of the window)
    GET /api/alerts?id=<thing>[&limit=N]
                                 level 2's newest alerts of the device (``available: false``
                                 when level 2 is not deployed)
    GET /api/forecast?id=<thing> level 2's forecast steps of the device, in columns
    GET /api/meta?lang=en|ja     UI strings and the charted fields
    GET /static/..., /vendor/... this package's JS/CSS, and uPlot from node_modules
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from wio_contract.names import ResourceNames
from wio_tools.dashboard.assets import STATIC_DIR, uplot_dir
from wio_tools.dashboard.fleet import MAX_PER_PAGE, Fleet
from wio_tools.dashboard.level2 import ALERT_LIMIT, Level2
from wio_tools.dashboard.pages import STRINGS, fields_meta, page, pick_lang
from wio_tools.dashboard.readings import RANGES, read_series

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class Settings:
    """What the app reads from and what its footer says."""

    fleet: Fleet
    dynamodb: Any
    names: ResourceNames
    bind: str
    public: bool
    target: str
    level2: Level2 | None = None
    """Default: a :class:`Level2` on ``dynamodb`` and ``names``."""


class _Headers(BaseHTTPMiddleware):
    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            if key == "Cache-Control" and request.url.path.startswith(("/vendor", "/static")):
                continue
            response.headers.setdefault(key, value)
        return response


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def create_app(settings: Settings) -> Starlette:
    level2 = settings.level2 or Level2(settings.dynamodb, settings.names)

    def lang_of(request: Request) -> str:
        return pick_lang(
            request.query_params.get("lang"),
            request.cookies.get("wio_lang"),
            request.headers.get("accept-language"),
        )

    def footer(lang: str) -> dict[str, str]:
        reach = STRINGS[lang]["reach_wide" if settings.public else "reach_local"]
        return {
            "bind": settings.bind,
            "reach": reach,
            "table": settings.names.table,
            "target": settings.target,
        }

    def html_page(request: Request, status: int = 200, **kw: Any) -> HTMLResponse:
        lang = lang_of(request)
        text = page(lang=lang, footer=footer(lang), status=status, **kw)
        response = HTMLResponse(text, status_code=status)
        if request.query_params.get("lang") in STRINGS:
            response.set_cookie("wio_lang", lang, samesite="strict", httponly=True)
        return response

    def index(request: Request) -> HTMLResponse:
        return html_page(request, kind="list")

    def device_page(request: Request) -> HTMLResponse:
        device = request.query_params.get("id", "")
        if not device or not settings.fleet.knows(device):
            return html_page(request, 404, kind="missing", device=device)
        asked = request.query_params.get("range", "hour")
        window = asked if asked in RANGES else "hour"
        return html_page(request, kind="device", device=device, window=window)

    def api_devices(request: Request) -> JSONResponse:
        number = _int(request.query_params.get("page"), 1)
        per_page = _int(request.query_params.get("per_page"), MAX_PER_PAGE)
        return JSONResponse(settings.fleet.page(number, per_page))

    def api_readings(request: Request) -> JSONResponse:
        device = request.query_params.get("id", "")
        window = request.query_params.get("range", "hour")
        if window not in RANGES:
            return JSONResponse(
                {"error": f"range must be one of {', '.join(RANGES)}", "range": window}, 400
            )
        if not device or not settings.fleet.knows(device):
            return JSONResponse({"error": "unknown device", "device": device}, 404)
        bounds = {
            key: _int(request.query_params.get(key), 0)
            for key in ("after", "before", "limit")
            if request.query_params.get(key)
        }
        series = read_series(
            settings.dynamodb,
            settings.names.table,
            device,
            window=RANGES[window],
            after=bounds.get("after"),
            before=bounds.get("before"),
            limit=bounds.get("limit"),
        )
        body = series.to_json()
        body["range"] = window
        return JSONResponse(body)

    def unknown(device: str) -> JSONResponse | None:
        if not device or not settings.fleet.knows(device):
            return JSONResponse({"error": "unknown device", "device": device}, 404)
        return None

    def api_alerts(request: Request) -> JSONResponse:
        device = request.query_params.get("id", "")
        limit = _int(request.query_params.get("limit"), ALERT_LIMIT)
        return unknown(device) or JSONResponse(level2.alerts(device, limit=limit))

    def api_forecast(request: Request) -> JSONResponse:
        device = request.query_params.get("id", "")
        return unknown(device) or JSONResponse(level2.forecast(device))

    def api_meta(request: Request) -> JSONResponse:
        lang = lang_of(request)
        return JSONResponse(
            {"lang": lang, "strings": STRINGS[lang], "fields": fields_meta(lang), "ranges": RANGES}
        )

    def favicon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/device", device_page),
        Route("/api/devices", api_devices),
        Route("/api/readings", api_readings),
        Route("/api/alerts", api_alerts),
        Route("/api/forecast", api_forecast),
        Route("/api/meta", api_meta),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Mount("/vendor", StaticFiles(directory=uplot_dir()), name="vendor"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(_Headers)])
