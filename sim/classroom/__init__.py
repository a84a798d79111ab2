"""A class session: one shared run that the whole class plays together.

The teacher (facilitator) starts a session from a scenario or a history
case and gets a short join code; each group joins with the code and a
name, and claims a state. The model plays every unclaimed state. The run
waits on a day a group must decide, and goes on when every group has
answered, or when the teacher decides for a group or skips the wait.

No Solara here: the pages in ``sim/app/facilitator.py`` and
``sim/app/join.py`` are thin over :class:`Session` and :class:`Registry`.
"""

from .briefing import briefing, option_labels, option_notes, question_words
from .debrief import SessionRecord, compare_session, compare_with_model, session_json, load_session, session_record, write_session
from .injects import EVENT_FIELDS, inject_scenario
from .registry import Registry, registry
from .session import Group, Session, SessionError

__all__ = [
    "EVENT_FIELDS", "Group", "Registry", "Session", "SessionError", "SessionRecord", "briefing",
    "compare_session", "compare_with_model", "inject_scenario", "session_json", "load_session", "option_labels", "option_notes", "question_words", "registry",
    "session_record", "write_session",
]
