"""Server-side sessions in Redis, so that a login gets a new session id and logout or a
password change can end a session for good (a signed cookie cannot be revoked)."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask.sessions import SessionInterface, SessionMixin
from flask.json.tag import TaggedJSONSerializer
from werkzeug.datastructures import CallbackDict

_serializer = TaggedJSONSerializer()
PREFIX = "houtai:session:"


class RedisSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None, new: bool = False):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid or secrets.token_urlsafe(32)
        self.new = new
        self.modified = False
        self.dead_sid: str | None = None

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

    def open_session(self, app, request):
        sid = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
        if sid:
            raw = self._redis().get(PREFIX + sid)
            if raw is not None:
                return RedisSession(_serializer.loads(raw.decode()), sid=sid)
        return RedisSession(new=True)

    def save_session(self, app, session: RedisSession, response):
        name = app.config["SESSION_COOKIE_NAME"]
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        redis = self._redis()
        if session.dead_sid:
            redis.delete(PREFIX + session.dead_sid)
        if not session:
            if not session.new:
                redis.delete(PREFIX + session.sid)
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not (session.modified or session.dead_sid or session.new):
            return
        lifetime = timedelta(hours=app.config["SESSION_LIFETIME_HOURS"])
        redis.setex(PREFIX + session.sid, lifetime, _serializer.dumps(dict(session)))
        response.set_cookie(
            name, session.sid, httponly=True, domain=domain, path=path,
            secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app),
            max_age=int(lifetime.total_seconds()),
        )
        response.vary.add("Cookie")


def rotate_session(session) -> None:
    if isinstance(session, RedisSession):
        session.rotate()
