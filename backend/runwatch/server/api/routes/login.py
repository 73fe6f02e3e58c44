"""/login and /logout: the form that turns a token or a password into the session cookie.

The form is plain HTML (it must work before the page's JavaScript may be loaded, which
itself needs the cookie). A successful POST redirects (303) to `next`, a same-site path only.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from runwatch.server.api.auth import COOKIE, SESSION_SEC, Authenticator

router = APIRouter(tags=["auth"])

_MAX_FORM_BYTES = 16 * 1024

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>runwatch · log in</title>
<style>
 :root {{ color-scheme: light dark; font-family: system-ui, sans-serif; }}
 body {{ display: grid; place-items: center; min-height: 100vh; margin: 0; background: Canvas; }}
 form {{ display: grid; gap: .75rem; width: min(22rem, 90vw); padding: 2rem; border-radius: .75rem;
        border: 1px solid color-mix(in srgb, CanvasText 15%, transparent); }}
 h1 {{ margin: 0 0 .5rem; font-size: 1.25rem; }}
 input, button {{ font: inherit; padding: .5rem .75rem; border-radius: .4rem;
        border: 1px solid color-mix(in srgb, CanvasText 25%, transparent); }}
 button {{ background: #2563eb; color: white; border: 0; cursor: pointer; }}
 .error {{ color: #dc2626; margin: 0; }}
</style></head>
<body><form method="post" action="/login">
<h1>runwatch</h1>
{error}
{fields}
<input type="hidden" name="next" value="{next}">
<button type="submit">Log in</button>
</form></body></html>
"""


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def login_page(auth: Authenticator, *, next_path: str = "/", error: str = "",
               status_code: int = 200) -> HTMLResponse:
    fields = []
    if auth.users:
        fields.append('<input name="username" placeholder="user" autocomplete="username" aria-label="user">')
        fields.append('<input name="password" type="password" placeholder="password" '
                      'autocomplete="current-password" aria-label="password">')
    if auth.token is not None:
        fields.append('<input name="token" type="password" placeholder="access token" '
                      'autocomplete="current-password" aria-label="access token">')
    body = _PAGE.format(error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
                        fields="\n".join(fields), next=html.escape(_safe_next(next_path)))
    return HTMLResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})


def _auth(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.authenticator
    return auth


@router.get("/login", include_in_schema=False)
def get_login(request: Request, next: str = "/") -> Response:
    auth = _auth(request)
    if not auth.enabled:
        return RedirectResponse(_safe_next(next), status_code=303)
    return login_page(auth, next_path=next)


@router.post("/login", include_in_schema=False)
async def post_login(request: Request) -> Response:
    auth = _auth(request)
    raw = await request.body()
    form = {k: v[0] for k, v in parse_qs(raw[:_MAX_FORM_BYTES].decode("utf-8", "replace")).items()}
    next_path = _safe_next(form.get("next"))
    user: str | None = None
    if auth.token_ok(form.get("token")):
        user = "token"
    elif form.get("username") and auth.password_ok(form["username"], form.get("password", "")):
        user = form["username"]
    if user is None:
        return login_page(auth, next_path=next_path, error="That did not match.", status_code=401)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, auth.session_cookie(user), max_age=SESSION_SEC, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


@router.api_route("/logout", methods=["GET", "POST"], include_in_schema=False)
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
