"""The UI's routes: server-rendered pages under ``/ui``, their static files (plotly.js from the
installed ``plotly`` package, never a CDN), and the admin forms.

Security: every UI response carries ``X-Frame-Options: DENY`` and a strict Content Security
Policy (scripts only from this server); the ``Host`` header must name an allowed host (DNS
rebinding); forms carry a CSRF token that must match the ``dl_csrf`` cookie (double submit,
``SameSite=Strict``) and a cross-site ``Origin`` is refused; admin actions need the model's
admin token, typed into the form. When any model has a token, pages need a session first:
``/ui/login`` takes one of the configured tokens and sets a signed, ``HttpOnly`` cookie.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import hmac
import importlib.util
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from driftline.errors import DriftlineError, MissingDependencyError
from driftline.ui import _data, _pages
from driftline.ui._data import ModelView
from driftline.ui._html import PAGES, esc, form, page

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["UISettings", "build_ui_router", "plotly_js"]

_STATIC = Path(__file__).with_name("static")
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
_SESSION_S = 12 * 3600
_DONE = {"promote": "Promoted: the new champion is serving.",
         "rollback": "Rolled back: the previous champion is serving again.",
         "retrain": "Retrain requested: the worker acts on it in its next turn."}


@dataclass(frozen=True)
class UISettings:
    """Who may reach the UI.

    ``allowed_hosts`` are the names the ``Host`` header may carry (``"*"`` allows any; the
    loopback names are always allowed). ``secret`` signs session cookies; by default each
    process draws its own, so replicas behind one address should share
    ``DRIFTLINE_UI_SECRET``.

    Examples
    --------
    >>> UISettings(allowed_hosts=("models.example.com",)).host_allowed("models.example.com:8000")
    True
    >>> UISettings().host_allowed("evil.example")
    False
    """

    allowed_hosts: tuple[str, ...] = ()
    secret: bytes = field(default_factory=lambda: (
        os.environ.get("DRIFTLINE_UI_SECRET", "").encode() or secrets.token_bytes(32)),
        repr=False)

    def host_allowed(self, host: str | None) -> bool:
        """Whether a ``Host`` header value names an allowed host."""
        if not host:
            return False
        name = host.strip().lower()
        if name.startswith("["):  # [::1]:8000
            name = name[1:].split("]", 1)[0]
        elif name.count(":") == 1:
            name = name.split(":", 1)[0]
        allowed = {"127.0.0.1", "localhost", "::1", *(h.lower() for h in self.allowed_hosts)}
        return "*" in allowed or name in allowed


def plotly_js() -> tuple[Path, str]:
    """The plotly.js bundle inside the installed ``plotly`` package, and its version.

    Examples
    --------
    >>> path, version = plotly_js()
    >>> path.name, version.count(".") >= 1
    ('plotly.min.js', True)
    """
    from importlib.metadata import PackageNotFoundError, version

    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError.for_extra("plotly", "serve", "The web UI's charts")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise MissingDependencyError.for_extra("plotly", "serve", "The web UI's charts")
    try:
        return path, version("plotly")
    except PackageNotFoundError:  # pragma: no cover
        return path, "0"


class _Static:
    """Static files, read once; gzip-compressed once for clients that accept it."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[bytes, bytes, str]] = {}

    def get(self, path: Path, media: str) -> tuple[bytes, bytes, str]:
        key = str(path)
        if key not in self._cache:
            raw = path.read_bytes()
            self._cache[key] = (raw, gzip.compress(raw, 6, mtime=0),
                                hashlib.sha256(raw).hexdigest()[:16])
        return self._cache[key]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _tokens(view: ModelView) -> Any:
    if view.tokens is not None:
        return view.tokens
    svc = view.service
    if svc is not None and getattr(svc, "tokens", None) is not None:
        return svc.tokens
    from driftline.serving import Tokens

    auth = view.project.config.auth
    return Tokens.from_env(auth.token_env, auth.admin_token_env)


def build_ui_router(views: Sequence[ModelView], settings: UISettings | None = None) -> Any:
    """The UI's routes for these models (mounted by :func:`driftline.app.create_app`).

    Examples
    --------
    >>> router = build_ui_router([])
    >>> "/ui/" in {r.path for r in router.routes}
    True
    """
    from starlette.requests import Request as _Request
    from starlette.responses import RedirectResponse
    from starlette.responses import Response as _Response
    from starlette.routing import Route, Router

    settings = settings or UISettings()
    by_name = {v.name: v for v in views}
    names = [v.name for v in views]
    tokens = {v.name: _tokens(v) for v in views}
    locked = any(t.predict is not None or t.admin is not None for t in tokens.values())
    static = _Static()
    plotly_path, plotly_version = plotly_js()
    plotly_url = f"/ui/static/plotly-{plotly_version}.min.js"

    def secure(response: _Response, *, cache: bool = False) -> _Response:
        h = response.headers
        h["X-Frame-Options"] = "DENY"
        h["Content-Security-Policy"] = _CSP
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        if not cache:
            h["Cache-Control"] = "no-store"
        return response

    def text(body: str, status: int = 200) -> _Response:
        return secure(_Response(body, status, media_type="text/plain; charset=utf-8"))

    def session_ok(request: Request) -> bool:
        if not locked:
            return True
        raw = request.cookies.get("dl_session", "")
        payload, _, sig = raw.partition(".")
        good = _b64(hmac.new(settings.secret, payload.encode(), "sha256").digest())
        if not payload or not hmac.compare_digest(sig, good):
            return False
        try:
            expires = int(base64.urlsafe_b64decode(payload + "==").decode())
        except (ValueError, UnicodeDecodeError):
            return False
        return expires > time.time()

    def csrf_cookie(request: Request) -> tuple[str, bool]:
        token = request.cookies.get("dl_csrf", "")
        if len(token) >= 32:
            return token, False
        return secrets.token_urlsafe(32), True

    def html(request: Request, title: str, body: str, *, model: str | None, current: str,
             charts: bool, status: int = 200, error: str | None = None,
             csrf: tuple[str, bool] | None = None) -> _Response:
        done = request.query_params.get("done")
        message = _DONE.get(done or "")
        out = page(title, body, models=names, model=model, current=current, charts=charts,
                   message=message, error=error, plotly=plotly_url)
        response = secure(_Response(out, status, media_type="text/html; charset=utf-8"))
        if csrf is not None and csrf[1]:
            response.set_cookie("dl_csrf", csrf[0], httponly=True, samesite="strict",
                                path="/ui", secure=request.url.scheme == "https")
        return response

    def guard(fn: Callable[[Request], Awaitable[_Response]], *, open_page: bool = False
              ) -> Callable[[Request], Awaitable[_Response]]:
        async def run(request: Request) -> _Response:
            if not settings.host_allowed(request.headers.get("host")):
                return text("this host name is not allowed; start the server with "
                            "--allowed-host NAME to serve the UI under it.", 400)
            if request.method == "POST":
                problem = await _check_post(request)
                if problem is not None:
                    return text(problem, 403)
            if not open_page and not session_ok(request):
                return secure(RedirectResponse("/ui/login", 303))
            return await fn(request)
        run.__annotations__["request"] = _Request
        return run

    async def _check_post(request: Request) -> str | None:
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin and origin != "null" and origin.split("://", 1)[-1] != host:
            return "cross-site form posts are refused."
        if request.headers.get("sec-fetch-site") in ("cross-site",):
            return "cross-site form posts are refused."
        body = await request.body()
        if len(body) > 16_384:
            return "form too large."
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        request.state.form = fields
        cookie = request.cookies.get("dl_csrf", "")
        if not cookie or not hmac.compare_digest(fields.get("csrf", ""), cookie):
            return ("the form's CSRF token does not match this browser's cookie; reload the "
                    "page and submit again.")
        return None

    def view_of(request: Request) -> ModelView | None:
        return by_name.get(request.path_params.get("model", ""))

    # -- pages ------------------------------------------------------------------------------
    async def overview(request: Request) -> _Response:
        rows = await asyncio.to_thread(lambda: [_data.overview_row(v) for v in views])
        return html(request, "Overview", _pages.overview_body(rows), model=None,
                    current="overview", charts=False)

    async def model_page(request: Request, *, status: int = 200,
                         error: str | None = None) -> _Response:
        view = view_of(request)
        seg = request.path_params.get("page", "")
        if view is None or seg not in dict(PAGES):
            return html(request, "Not found", '<p class="empty">No such model or page. '
                        f'Models: {esc(", ".join(names)) or "none"}.</p>', model=None,
                        current="", charts=False, status=404)
        q = request.query_params
        csrf = csrf_cookie(request)
        admin = tokens[view.name].admin is not None
        body = await asyncio.to_thread(_render, view, seg, q, csrf[0], admin)
        return html(request, dict(PAGES)[seg], body, model=view.name, current=seg,
                    charts=True, status=status, error=error, csrf=csrf)

    async def action(request: Request) -> _Response:
        view = view_of(request)
        kind = request.path_params.get("action", "")
        if view is None or kind not in _DONE:
            return text("no such model or action.", 404)
        fields: Mapping[str, str] = request.state.form
        admin = tokens[view.name].admin
        back = "training" if kind == "promote" else "timeline"
        request.scope["path_params"] = {"model": view.name, "page": back}
        given = fields.get("admin_token", "").encode()
        if admin is None:
            return await model_page(request, status=403, error=(
                "admin actions are turned off for this model: set the variable named by "
                "auth.admin_token_env."))
        if not given or not hmac.compare_digest(given, admin):
            return await model_page(request, status=403, error="the admin token is not valid.")
        reason = (fields.get("reason") or "").strip()[:500]
        if not reason:
            return await model_page(request, status=422, error="give a reason; it is recorded.")
        try:
            await asyncio.to_thread(_act, view, kind, fields.get("version"), reason)
        except (DriftlineError, ValueError) as exc:
            return await model_page(request, status=409, error=str(exc))
        except Exception as exc:  # RequestError from the serving layer
            status = getattr(exc, "status", None)
            if status is None:
                raise
            return await model_page(request, status=int(status), error=str(exc))
        return secure(RedirectResponse(f"/ui/models/{view.name}/{back}?done={kind}", 303))

    async def login(request: Request) -> _Response:
        csrf = csrf_cookie(request)
        error = None
        status = 200
        if request.method == "POST":
            given = request.state.form.get("token", "").encode()
            valid = [t for tk in tokens.values() for t in (tk.predict, tk.admin) if t]
            if given and any(hmac.compare_digest(given, t) for t in valid):
                payload = _b64(str(int(time.time()) + _SESSION_S).encode())
                sig = _b64(hmac.new(settings.secret, payload.encode(), "sha256").digest())
                response = secure(RedirectResponse("/ui/", 303))
                response.set_cookie("dl_session", f"{payload}.{sig}", max_age=_SESSION_S,
                                    httponly=True, samesite="strict", path="/ui",
                                    secure=request.url.scheme == "https")
                return response
            error, status = "that token is not valid for any model served here.", 401
        body = ('<section class="card"><p>This server has access tokens. Sign in with a '
                "model's token (either role) to view the dashboards.</p>"
                + form("/ui/login", csrf[0], "Sign in",
                       '<label>Token <input type="password" name="token" autocomplete="off" '
                       "required></label>", admin=False) + "</section>")
        return html(request, "Sign in", body, model=None, current="", charts=False,
                    status=status, error=error, csrf=csrf)

    async def logout(request: Request) -> _Response:
        response = secure(RedirectResponse("/ui/login" if locked else "/ui/", 303))
        response.delete_cookie("dl_session", path="/ui")
        return response

    async def asset(request: Request) -> _Response:
        name = request.path_params.get("name", "")
        if name == f"plotly-{plotly_version}.min.js":
            path, media = plotly_path, "text/javascript; charset=utf-8"
        elif name in ("ui.js", "ui.css"):
            path = _STATIC / name
            media = "text/javascript; charset=utf-8" if name.endswith(".js") else "text/css"
        else:
            return text("no such file.", 404)
        raw, packed, etag = static.get(path, media)
        gz = "gzip" in request.headers.get("accept-encoding", "")
        response = _Response(packed if gz else raw, media_type=media)
        if gz:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["ETag"] = f'"{etag}"'
        response.headers["Cache-Control"] = ("public, max-age=31536000, immutable"
                                             if name.startswith("plotly-") else "no-cache")
        return secure(response, cache=True)

    async def root(request: Request) -> _Response:
        return secure(RedirectResponse("/ui/", 307))

    routes = [
        Route("/ui", guard(root, open_page=True), methods=["GET"], name="ui"),
        Route("/ui/", guard(overview), methods=["GET"], name="ui"),
        Route("/ui/login", guard(login, open_page=True), methods=["GET", "POST"], name="ui"),
        Route("/ui/logout", guard(logout, open_page=True), methods=["POST"], name="ui"),
        Route("/ui/static/{name}", guard(asset, open_page=True), methods=["GET"], name="ui"),
        Route("/ui/models/{model}/{page}", guard(model_page), methods=["GET"], name="ui"),
        Route("/ui/models/{model}/{action}", guard(action), methods=["POST"], name="ui"),
    ]
    return Router(routes=routes)


def _render(view: ModelView, seg: str, q: Mapping[str, str], csrf: str, admin: bool) -> str:
    """A model page's body (runs in a worker thread: it queries the store)."""
    if seg == "serving":
        return _pages.serving_body(view.name, _data.serving_page(view, q.get("range", "6h")))
    if seg == "drift":
        window = q.get("window")
        data = _data.drift_page(view, int(window) if window and window.isdigit() else None,
                                q.get("feature"))
        return _pages.drift_body(view.name, data)
    if seg == "performance":
        return _pages.performance_body(view.name, _data.performance_page(view))
    if seg == "training":
        data = _data.training_page(view, run=q.get("run"), study=q.get("study"))
        return _pages.training_body(view.name, data, csrf, admin)
    if seg == "timeline":
        return _pages.timeline_body(view.name, _data.timeline_page(view), csrf, admin)
    return _pages.alerts_body(view.name, _data.alerts_page(view))


def _act(view: ModelView, kind: str, version: str | None, reason: str) -> None:
    """Carry out an admin action through the service when this process serves the model
    (so the swap is immediate), else through the registry (the servers follow the store)."""
    number = int(version) if version and version.strip().isdigit() else None
    svc = view.service
    if kind == "retrain":
        view.store.add_event(view.name, "retrain_requested", {"reason": reason, "via": "ui"})
    elif svc is not None:
        svc.swap_to(number, action=kind, reason=f"{reason} (web UI)")
    elif kind == "promote":
        if number is None:
            raise ValueError("version must be a version number; got none.")
        view.registry.promote(view.name, number, reason=f"promote: {reason} (web UI)")
    else:
        view.registry.rollback(view.name, reason=f"rollback: {reason} (web UI)")

