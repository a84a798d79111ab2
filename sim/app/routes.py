"""The app's pages: ``/`` explores a scenario alone (sim/app/page.py),
``/facilitator`` is the teacher's console of a class session and ``/join``
each group's page. ``coalition-sim app`` serves this module."""

from __future__ import annotations

import warnings

import solara
import solara.lab

from sim.app import facilitator, join, page, release
from sim.app_cli import drop_diagnostic_routes

drop_diagnostic_routes()  # solara's /resourcez only with `coalition-sim app --diagnostics`
solara.lab.on_kernel_start(release.on_session)  # a closed session's memory goes back to the system
# Solara warns, for a page served over http on an address other than
# "localhost", that its session cookie cannot be marked for use inside an
# iframe of another site. The app is not embedded in other sites; the
# warning (ten lines) only alarms a teacher reading the terminal.
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

routes = [
    solara.Route(path="/", component=page.Page, label="Explore"),
    solara.Route(path="facilitator", component=facilitator.Page, label="Class: facilitator"),
    solara.Route(path="join", component=join.Page, label="Class: join"),
]
