"""The session cookie: what it is called and the flags that keep it out of reach.

``HttpOnly`` keeps scripts (and so injected scripts) from reading it, ``SameSite=Lax``
keeps other sites' forms from sending it, and ``Secure`` keeps it off plain http — except
on a developer's http://127.0.0.1, where the ``cookie_secure`` setting decides (default:
secure exactly when the request itself came over https).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from shelfwise.settings import Settings

COOKIE = "shelfwise_session"


def secure_flag(settings: Settings, conn: HTTPConnection) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return conn.url.scheme == "https"


def set_cookie(response: Response, secret: str, settings: Settings,
               conn: HTTPConnection) -> None:
    response.set_cookie(COOKIE, secret, max_age=settings.session_hours * 3600, path="/",
                        secure=secure_flag(settings, conn), httponly=True, samesite="lax")


def clear_cookie(response: Response, settings: Settings, conn: HTTPConnection) -> None:
    response.delete_cookie(COOKIE, path="/", secure=secure_flag(settings, conn),
                           httponly=True, samesite="lax")


def cookie_secret(conn: HTTPConnection) -> str | None:
    value = conn.cookies.get(COOKIE)
    return value if value and len(value) <= 200 else None
