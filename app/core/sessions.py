"""Server-side sessions in Redis, so that a login gets a new session id and logout or a
password change can end a session for good (a signed cookie cannot be revoked).

A visitor who has not signed in stores nothing worth revoking: the CSRF token of a form,
the chosen language and flash messages. Such a session lives in a signed cookie only, so
anonymous requests (a crawler's 404s, a flood of page views) create no Redis key; the Redis
session starts once anything else is stored (signing in)."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask.sessions import SessionInterface, SessionMixin
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict

from app.core.errors import REDIS_UNAVAILABLE

_serializer = TaggedJSONSerializer()
PREFIX = "houtai:session:"
COOKIE_ONLY_KEYS = frozenset({"csrf_token", "locale", "_flashes"})  # nothing here needs revoking
COOKIE_MARK = "c."      # a cookie-only session's value starts with this; a Redis session id never does


class RedisSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None, new: bool = False, in_redis: bool = False):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid or secrets.token_urlsafe(32)
        self.new = new
        self.in_redis = in_redis      # the session's data is stored under PREFIX + sid
        self.modified = False
        self.dead_sid: str | None = None
        self.unavailable: Exception | None = None

    def rotate(self) -> None:
        """Give this session a new id; the old id stops working at once."""
        if self.dead_sid is None:
            self.dead_sid = self.sid
        self.sid = secrets.token_urlsafe(32)
        self.pop("csrf_token", None)
        self.modified = True


class RedisSessionInterface(SessionInterface):
    def __init__(self, redis_factory):
        self._redis = redis_factory

    @staticmethod
    def _signer(app) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(app.secret_key, salt="houtai-cookie-session", serializer=_serializer)

    def open_session(self, app, request):
        value = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if value and value.startswith(COOKIE_MARK):
            max_age = app.config["SESSION_LIFETIME_HOURS"] * 3600
            try:
                data = self._signer(app).loads(value[len(COOKIE_MARK):], max_age=max_age)
            except BadSignature:
                data = None
            if isinstance(data, dict) and set(data) <= COOKIE_ONLY_KEYS:
                return RedisSession(data)
        elif value:
            try:
                raw = self._redis().get(PREFIX + value)
            except REDIS_UNAVAILABLE as err:
                session = RedisSession(new=True)
                session.unavailable = err   # refuse_without_session answers 503; nothing is saved
                return session
            if raw is not None:
                return RedisSession(_serializer.loads(raw.decode()), sid=value, in_redis=True)
        return RedisSession(new=True)

    def save_session(self, app, session: RedisSession, response):
        name = app.config["SESSION_COOKIE_NAME"]
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if session.unavailable is not None:
            return
        redis = self._redis()
        if session.dead_sid:
            redis.delete(PREFIX + session.dead_sid)
        if not session:
            if session.in_redis:
                redis.delete(PREFIX + session.sid)
            if not session.new:
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not (session.modified or session.dead_sid or session.new):
            return
        lifetime = timedelta(hours=app.config["SESSION_LIFETIME_HOURS"])
        if set(session) <= COOKIE_ONLY_KEYS:
            if session.in_redis:    # signed out: what is left needs no server-side state
                redis.delete(PREFIX + session.sid)
            value = COOKIE_MARK + self._signer(app).dumps(dict(session))
        else:
            redis.setex(PREFIX + session.sid, lifetime, _serializer.dumps(dict(session)))
            value = session.sid
        response.set_cookie(
            name, value, httponly=True, domain=domain, path=path,
            secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app),
            max_age=int(lifetime.total_seconds()),
        )
        response.vary.add("Cookie")


def rotate_session(session) -> None:
    if isinstance(session, RedisSession):
        session.rotate()


def refuse_without_session() -> None:
    """Before any view runs: a signed-in visitor whose session Redis cannot read gets the
    503 page (raised again here), not a page as if signed out."""
    from flask import session

    error = getattr(session, "unavailable", None)
    if error is not None:
        raise error


# A signed-in session remembers a digest of its account's password hash; once the password
# changes (changed, reset), every session holding the old digest is signed out on its next
# request, while the session that made the change is given the new one.
PASSWORD_KEY = "_pwf"


def remember_password(session, user) -> None:
    from app.core.security import password_fingerprint

    session[PASSWORD_KEY] = password_fingerprint(user.password_hash)


def password_unchanged(session, user) -> bool:
    from app.core.security import password_fingerprint

    return session.get(PASSWORD_KEY) == password_fingerprint(user.password_hash)
