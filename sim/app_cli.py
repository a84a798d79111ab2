"""The ``app`` verb: start the Solara app on this machine."""

from __future__ import annotations

import argparse
import ipaddress
import os
import subprocess
import sys
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
PAGE = Path(__file__).resolve().parent / "app" / "routes.py"


def port_number(text: str) -> int:
    """argparse type: a TCP port 1..65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a whole number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {port}")
    return port


def host_name(text: str) -> str:
    """argparse type: an IP address or 'localhost'."""
    if text == "localhost":
        return text
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"host must be an IP address or 'localhost', got {text!r}") from None
    return text


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "app", help="start the browser app (Solara) on this machine",
        description="Start the browser app: pick a scenario, play it day by day, compare the theory "
                    "lenses, take states' decisions yourself; or run a class session, the teacher at "
                    "/facilitator and each group at /join. Serves http://HOST:PORT/ until Ctrl+C.",
    )
    p.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    p.add_argument("--host", type=host_name, default=DEFAULT_HOST,
                   help=f"address to bind (default {DEFAULT_HOST}, this machine only)")
    p.add_argument("--diagnostics", action="store_true",
                   help="serve the server's diagnostic page /resourcez (sessions, threads, memory); off by default")
    p.set_defaults(func=cmd_app)


def solara_command(host: str, port: int) -> list[str]:
    # --no-check-version: solara would otherwise ask pypi.org for a newer
    # release at every start (classrooms are often offline).
    return [sys.executable, "-m", "solara", "run", str(PAGE), "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version"]


# A closed browser tab's kernel (its session, model and threads) is
# released after this idle time instead of solara's default of a day.
KERNEL_CULL_TIMEOUT = "2m"


def is_local(host: str) -> bool:
    return host == "localhost" or ipaddress.ip_address(host).is_loopback


def host_warning(host: str, port: int) -> str | None:
    """The line printed when the server is reachable from other machines."""
    if is_local(host):
        return None
    return (f"warning: --host {host} exposes the app (the single-user page, /facilitator with its class "
            f"session controls, /join) to every machine that can reach this one on port {port}; "
            "there is no login")


DIAGNOSTICS_ENV = "COALITION_SIM_DIAGNOSTICS"
DIAGNOSTIC_PATHS = ("/resourcez",)


def server_env(environ=None, diagnostics: bool = False) -> dict:
    """The server's environment: matplotlib without a display, no telemetry,
    idle kernels released, solara's diagnostic page only when asked for."""
    env = dict(environ if environ is not None else os.environ, MPLBACKEND="Agg",
               SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", SOLARA_KERNEL_CULL_TIMEOUT=KERNEL_CULL_TIMEOUT,
               # solara's "runs on Solara" banner sits over the page's bottom right
               # corner (the log) on a projector
               SOLARA_THEME_SHOW_BANNER="False")
    env.pop(DIAGNOSTICS_ENV, None)
    if diagnostics:
        env[DIAGNOSTICS_ENV] = "1"
    return env


def drop_diagnostic_routes(environ=None) -> int:
    """In the server process (called when the app module loads): remove
    solara's /resourcez route (it lists the sessions, threads and memory to
    anyone who asks) unless ``--diagnostics`` was given. A request for it
    then gets the app's own "page not found". Returns the routes removed."""
    environ = os.environ if environ is None else environ
    server = sys.modules.get("solara.server.starlette")
    if server is None or environ.get(DIAGNOSTICS_ENV) == "1":
        return 0
    routes = server.app.router.routes
    kept = [r for r in routes if getattr(r, "path", None) not in DIAGNOSTIC_PATHS]
    removed = len(routes) - len(kept)
    routes[:] = kept
    return removed


def cmd_app(args) -> int:
    env = server_env(diagnostics=getattr(args, "diagnostics", False))
    command = solara_command(args.host, args.port)
    warning = host_warning(args.host, args.port)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(f"coalition-sim app: http://{args.host}:{args.port}/ (a class session: /facilitator and /join; "
          "Ctrl+C to stop)", flush=True)
    if os.name == "posix":
        # The server replaces this process: stopping `coalition-sim app`
        # (Ctrl+C, or a signal from a test) stops the server, and no
        # orphaned server is left holding the port.
        os.execve(command[0], command, env)
    try:  # elsewhere (Windows) exec does not keep the process: wait for a child
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0
