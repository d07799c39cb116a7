"""CSRF protection for cookie sessions.

A browser sends the session cookie with any request, even one a hostile page triggers;
it cannot send the per-session token, which only our own pages know. So every unsafe
request authenticated by cookie must carry that token, in the ``X-CSRF-Token`` header
(scripts) or the ``csrf_token`` form field (HTML forms). Bearer-token requests are not
sent automatically by browsers and need no token.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qs

HEADER = "x-csrf-token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MULTIPART_FIELD = re.compile(
    rb'name="csrf_token"\r\n(?:[^\r\n]*\r\n)*\r\n([^\r\n]*)\r\n', re.IGNORECASE)


def is_form(content_type: str) -> bool:
    ct = content_type.lower()
    return ct.startswith("application/x-www-form-urlencoded") or ct.startswith(
        "multipart/form-data")


def token_from_form(content_type: str, body: bytes) -> str | None:
    if content_type.lower().startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1")).get(FIELD)
        return values[0] if values else None
    m = _MULTIPART_FIELD.search(body)
    return m.group(1).decode("latin-1") if m else None


def matches(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(expected, given)  # type: ignore[arg-type]
