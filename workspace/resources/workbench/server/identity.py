"""Who gets in without a hub: the workspace's token, or the login cookie it earned. Jupyter's own provider with three
changes: a logout ends that cookie's session on the server (a copied cookie opens nothing afterwards), a new token
ends every session (it is part of the cookie signature's key), and guessing is slowed per client address (the
address nginx saw, passed on as X-Real-IP)."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from pathlib import Path

from jupyter_core.paths import jupyter_runtime_dir
from jupyter_server.auth.identity import PasswordIdentityProvider, User
from tornado import web

from ..contracts import rendering
from ..facts.guesses import Guesses

# Tornado refuses a signed cookie older than this anyway (get_secure_cookie's max_age_days); an ended session needs
# remembering no longer.
COOKIE_DAYS = 31
# Next to Jupyter's cookie secret: the two live and die together.
ENDED_SESSIONS_FILE = "workbench-ended-sessions.json"


class TooManyGuesses(web.HTTPError):
    def __init__(self, address: str, wait: int):
        super().__init__(429, f"too many failed logins from {address}; try again in {wait} s")


class EndedSessions:
    """Session ids of cookies that were logged out, with when; kept in a file so that they stay ended when Jupyter
    or the container restarts."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.ended: dict[str, float] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.ended = {}

    def __contains__(self, session: str) -> bool:
        return session in self.ended

    def end(self, session: str) -> None:
        now = time.time()
        self.ended = {known: at for known, at in self.ended.items() if now - at < COOKIE_DAYS * 86400}
        self.ended[session] = now
        temporary = self.path.with_suffix(".tmp")
        rendering.write_private(temporary, json.dumps(self.ended))
        temporary.replace(self.path)


class WorkbenchIdentityProvider(PasswordIdentityProvider):
    guesses = Guesses()
    _ended: EndedSessions | None = None

    @property
    def ended_sessions(self) -> EndedSessions:
        if self._ended is None:
            self._ended = EndedSessions(Path(jupyter_runtime_dir()) / ENDED_SESSIONS_FILE)
        return self._ended

    def cookie_secret_hook(self, h: hmac.HMAC) -> hmac.HMAC:
        h = super().cookie_secret_hook(h)
        h.update((self.token or "").encode())
        return h

    def user_to_cookie(self, user: User) -> str:
        fields = json.loads(super().user_to_cookie(user))
        return json.dumps({**fields, "session": secrets.token_urlsafe(18)})

    def user_from_cookie(self, cookie_value: str) -> User | None:
        session = json.loads(cookie_value).get("session")
        if not session or session in self.ended_sessions:
            return None
        return super().user_from_cookie(cookie_value)

    def clear_login_cookie(self, handler: web.RequestHandler) -> None:
        cookie = handler.get_secure_cookie(self.get_cookie_name(handler), **self.get_secure_cookie_kwargs)
        if cookie:
            try:
                session = json.loads(cookie).get("session")
            except ValueError:
                session = None
            if session:
                self.ended_sessions.end(session)
        super().clear_login_cookie(handler)

    def _check_guess(self, handler: web.RequestHandler, correct: bool) -> bool:
        address = handler.request.remote_ip or "unknown"
        wait = self.guesses.wait_seconds(address)
        if wait:
            self.log.warning("Refused a login attempt from %s: too many failed ones (next in %d s)", address, wait)
            raise TooManyGuesses(address, wait)
        if not correct:
            self.guesses.failed(address)
            self.log.warning("Failed login attempt from %s", address)
        return correct

    async def get_user_token(self, handler: web.RequestHandler) -> User | None:
        given = self.get_token(handler)
        if not given or not self.token:
            return None
        if not self._check_guess(handler, hmac.compare_digest(given.encode(), self.token.encode())):
            return None
        return self.get_user_cookie(handler) or self.generate_anonymous_user(handler)

    def process_login_form(self, handler: web.RequestHandler) -> User | None:
        typed = handler.get_argument("password", default="")
        if not self.auth_enabled:
            return super().process_login_form(handler)
        correct = bool(self.token) and hmac.compare_digest(typed.encode(), self.token.encode())
        return self.generate_anonymous_user(handler) if self._check_guess(handler, correct) else None
