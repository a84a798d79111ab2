"""Sessions held in the server's memory: a bounded number, each found by
a short join code, dropped after a time without activity."""

from __future__ import annotations

import secrets
import threading
import time

from .session import Session, SessionError

# Letters and digits that cannot be confused when read off a projector
# (no 0/O, 1/I/L, 5/S, 2/Z, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 4
MAX_SESSIONS = 20
IDLE_SECONDS = 4 * 3600


class Registry:
    def __init__(self, max_sessions: int = MAX_SESSIONS, idle_seconds: float = IDLE_SECONDS):
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self._sessions:
                return code

    def drop_idle(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        with self._lock:
            gone = [c for c, s in self._sessions.items() if now - s.touched > self.idle_seconds]
            for c in gone:
                del self._sessions[c]
        return gone

    def create(self, scenario, seed: int = 1, case=None, label: str = "") -> Session:
        self.drop_idle()
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                raise SessionError(f"this server already holds {self.max_sessions} class sessions; "
                                   "end one or wait until an idle one is dropped")
            code = self._new_code()
            session = Session(code, scenario, seed=seed, case=case, label=label)
            self._sessions[code] = session
            return session

    def get(self, code: str) -> Session | None:
        code = "".join(str(code or "").split()).upper()
        self.drop_idle()
        session = self._sessions.get(code)
        if session is not None:
            session.touch()
        return session

    def holds(self, session: Session) -> bool:
        """Whether the session is still held (without counting as activity)."""
        return self._sessions.get(session.code) is session

    def end(self, code: str) -> None:
        with self._lock:
            self._sessions.pop(code, None)


registry = Registry()  # the server's sessions (one per server process)
