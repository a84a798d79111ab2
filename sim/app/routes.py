"""The app's pages: ``/`` explores a scenario alone (sim/app/page.py),
``/facilitator`` is the teacher's console of a class session and ``/join``
each group's page. ``coalition-sim app`` serves this module."""

from __future__ import annotations

import solara

from sim.app import facilitator, join, page
from sim.app_cli import drop_diagnostic_routes

drop_diagnostic_routes()  # solara's /resourcez only with `coalition-sim app --diagnostics`

routes = [
    solara.Route(path="/", component=page.Page, label="Explore"),
    solara.Route(path="facilitator", component=facilitator.Page, label="Class: facilitator"),
    solara.Route(path="join", component=join.Page, label="Class: join"),
]
