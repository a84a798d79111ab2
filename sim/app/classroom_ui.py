"""Pieces shared by the app's pages (the facilitator's, the groups' and the
explorer's): the projector-size style, a hook that re-renders a page when the
shared session changes (whoever changed it), and the log as HTML."""

from __future__ import annotations

import html

import pandas as pd
import solara

# Solara's bar of page links, thin (72 px instead of 112): the rest of a
# 1280x720 screen is the page's.
HEADER_CSS = """
header.v-app-bar { height: auto !important; }
header.v-app-bar .v-toolbar__content { height: 34px !important; }
header.v-app-bar .v-toolbar__extension { height: 38px !important; }
header.v-app-bar .v-tab { min-height: 38px; }
main.v-content { padding-top: 72px !important; }
"""

CSS = HEADER_CSS + """
.classroom { font-size: 18px; line-height: 1.4; }
.v-tab { font-size: 16px !important; text-transform: none !important; letter-spacing: 0 !important; }
.classroom p, .classroom li, .classroom td, .classroom th, .classroom label, .classroom input,
.classroom .v-label, .classroom .v-select__selection, .classroom .v-list-item__title { font-size: 18px !important; }
.classroom .v-btn { font-size: 17px !important; text-transform: none !important; letter-spacing: 0 !important;
  height: auto !important; min-height: 44px; white-space: normal; }
.classroom .v-btn__content { white-space: normal; flex-shrink: 1; text-align: left; padding: 4px 0; }
.classroom h2 { font-size: 28px; margin: 4px 0; }
.classroom h3 { font-size: 22px; margin: 8px 0 4px 0; }
.classroom .v-tabs .v-tabs-bar { height: 40px !important; }
.classroom .join-code { font-size: 56px; font-weight: 700; letter-spacing: 10px; font-family: monospace; }
.classroom .status-line { font-size: 20px; font-weight: 600; }
.classroom .waiting { color: #a50f15; font-weight: 600; }
.classroom table.cls { border-collapse: collapse; }
.classroom table.cls th, .classroom table.cls td { padding: 3px 10px; text-align: left; border-bottom: 1px solid #ddd; }
.classroom .scroll { max-height: 380px; overflow-y: auto; }
.classroom .question { border: 3px solid #cb181d; border-radius: 6px; padding: 8px 12px; margin: 6px 0; }
.classroom .option-note { font-size: 16px; color: #333; margin: 0 0 8px 12px; }
"""


def use_session_version(session) -> int | None:
    """The session's version, kept current from a thread that waits on the
    session's changes: a step taken on the teacher's page re-renders every
    group's page within a moment."""

    from sim.classroom import registry

    def watch(cancel):
        if session is None:
            return
        seen = -1
        # Ends when the page goes (cancel) or the session is dropped.
        while not cancel.is_set() and registry.holds(session):
            version = session.wait_change(seen, 1.0)
            if version != seen:
                seen = version
                yield version

    result = solara.use_thread(watch, dependencies=[session], intrusive_cancel=False)
    return result.value


def table_html(frame: pd.DataFrame, floats: int = 2) -> str:
    if frame is None or frame.empty:
        return "<p>(none yet)</p>"
    return frame.to_html(index=False, float_format=lambda v: f"{v:.{floats}f}", na_rep="-", classes="cls", border=0)


def log_html(events: pd.DataFrame, limit: int = 200) -> str:
    """Event-log rows, newest first, as an HTML list."""
    if events is None or events.empty:
        return "<p>Nothing has happened yet.</p>"
    rows = events.iloc[::-1].head(limit)
    items = "".join(
        f"<li><b>day {int(r.day)}</b> ({pd.Timestamp(r.date):%d %b}): {html.escape(str(r.text))}</li>"
        for r in rows.itertuples())
    return f'<ul class="event-log scroll">{items}</ul>'
