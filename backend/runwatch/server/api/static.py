"""The built page at `/`, mounted after the API routes.

A mount at `/` matches every path, so a request whose method an API route does not take (an
OPTIONS or GET on `/sql`) lands here rather than in the route's own 405. StaticFiles would
answer `Allow: GET, HEAD`, naming methods the API path does not have; this answers 405 with
the methods the API's routes take for that path, as the route itself would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Match, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send


def _plain_routes(routes: Sequence[BaseRoute]) -> Iterator[Route]:
    # FastAPI (0.16x) keeps an included router as one wrapper entry; its routes are inside.
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _plain_routes(inner.routes)
        elif isinstance(route, Route):
            yield route


class PageFiles(StaticFiles):
    def __init__(self, *, directory: str, api_routes: Sequence[BaseRoute]) -> None:
        super().__init__(directory=directory, html=True)
        self._api_routes = list(_plain_routes(api_routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            methods = sorted({method for route in self._api_routes
                              if route.matches(scope)[0] is not Match.NONE
                              for method in (route.methods or ())})
            if methods or scope["method"] not in ("GET", "HEAD"):
                # an API path asked with a method it does not take (GET /sql included)
                response = PlainTextResponse("Method Not Allowed", status_code=405, headers={
                    "Allow": ", ".join(methods) if methods else "GET, HEAD"})
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
