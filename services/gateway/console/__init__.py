"""The web console: static files (ES modules, one stylesheet, the page) served by the gateway at ``/``.

Only files under ``static/`` with a known type are served; everything else is 404. Pages render in
the browser from the JSON API at ``/api/v1`` with the same bearer tokens, so the console adds no
server-side state and no rule of its own: the API decides who may do what.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from werkzeug.wrappers import Request, Response

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/console/"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
    "connect-src 'self'", "font-src 'self'", "manifest-src 'self'", "base-uri 'none'", "form-action 'none'",
    "frame-ancestors 'none'"))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@lru_cache(maxsize=256)
def _load(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    """A file's bytes and its strong ETag, cached until the file changes."""
    content = path.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:32]


def resolve(relative: str) -> Path | None:
    """The served file for a path below ``static/``, or None: no traversal, no hidden files, known types only."""
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\x00" in p for p in parts):
        return None
    candidate = (STATIC / relative).resolve()
    if not candidate.is_relative_to(STATIC) or candidate.suffix not in TYPES or not candidate.is_file():
        return None
    return candidate


def serve(request: Request, relative: str) -> Response:
    """One static file with its type, an ETag (``no-cache``: revalidated, 304 when unchanged) and the CSP."""
    path = resolve(relative)
    if path is None:
        return Response("not found", status=404, mimetype="text/plain", headers=SECURITY_HEADERS)
    content, etag = _load(path, path.stat().st_mtime_ns)
    headers = {**SECURITY_HEADERS, "ETag": f'"{etag}"', "Cache-Control": "no-cache"}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    return Response(content, status=200, content_type=TYPES[path.suffix], headers=headers)
