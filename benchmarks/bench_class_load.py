"""A class opening the app at once: does every page render, and is a closed
session's memory given back?

Starts ``coalition-sim app`` on a free port of 127.0.0.1 (as a teacher
would), then, with Debian's chromium driven by Playwright:

1. **Burst**: opens --burst pages (default 30, a class) at the same second,
   each in its own browser context (its own cookies, hence its own Solara
   session), and waits up to --timeout seconds for each page to render: the
   page is rendered when its first control is visible (the join form on
   ``/join``, the status line on ``/``). A page that shows Solara's or the
   widgets' error text ("widget model not found", "Error", "Traceback"), or
   does not render in time, counts as failed.
2. **Churn**: opens and closes --churn sessions (default 50), --wave at a
   time, waits until the server has dropped every closed session (a closed
   tab's session is dropped after the app's idle time, 2 minutes) and reads
   the server's resident memory (RSS, from /proc); --rounds times (default
   2), so that a leak shows as growth from one round to the next. The
   server runs with --diagnostics, whose /resourcez counts its sessions.

Prints the time to render (median, 95th percentile, max), the failures, the
server's memory at start, after the burst, after the churn and after the
release, and the lines the server printed (tracebacks, warnings) counted by
kind. Asserts nothing; the README's Performance section holds the figures.

Usage: .venv/bin/python benchmarks/bench_class_load.py [--path join] [--burst 30]
       [--churn 50] [--wave 10] [--rounds 2] [--timeout 180] [--settle 300]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# What shows that a page has rendered, by path.
READY = {"join": ".join-code-input input", "facilitator": ".join-code, button", "": ".status-line"}
ERROR_TEXT = re.compile(r"widget model not found|Traceback|Error:|Could not|failed to", re.I)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * PAGE_SIZE / 2**20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    out = open(log, "w")
    # --diagnostics: the server's /resourcez says how many sessions (kernels)
    # it holds, so the release of closed ones is seen, not guessed from RSS.
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "app", "--port", str(port), "--diagnostics"], cwd=ROOT,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit(f"the app did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)


def resourcez(url: str) -> dict:
    """Solara's diagnostic page of the server (it runs with --diagnostics)."""
    with urllib.request.urlopen(url + "resourcez", timeout=10) as resp:
        return json.load(resp)


def server_state(url: str, pid: int) -> str:
    """The server's sessions (kernels), threads, memory and CPU time so far."""
    data = resourcez(url)
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    k = data["kernels"]
    return (f"{k['total']} sessions held ({k['has_connected']} connected), {data['threads']['active']} threads, "
            f"{rss_mb(pid):.0f} MB, {cpu:.1f} s of server CPU so far")


async def open_one(browser, url: str, ready: str, timeout_s: float, t0: float) -> dict:
    """One session: its own context; returns the seconds to render from t0,
    or the failure."""
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)[:200]))
    try:
        await page.goto(url, timeout=timeout_s * 1000)
        await page.locator(ready).first.wait_for(state="visible", timeout=timeout_s * 1000)
        seconds = time.perf_counter() - t0
        text = await page.locator("body").inner_text()
        bad = ERROR_TEXT.search(text)
        return {"seconds": seconds, "error": f"page shows {bad.group(0)!r}" if bad else None,
                "js_errors": errors, "context": context}
    except Exception as exc:  # a timeout or a crash: the page did not render
        return {"seconds": None, "error": type(exc).__name__ + ": " + str(exc).splitlines()[0][:160],
                "js_errors": errors, "context": context}


async def wave(browser, url: str, ready: str, n: int, timeout_s: float) -> list[dict]:
    t0 = time.perf_counter()
    return await asyncio.gather(*(open_one(browser, url, ready, timeout_s, t0) for _ in range(n)))


async def close_all(results: list[dict]) -> None:
    for r in results:
        await r["context"].close()


def sessions_held(url: str) -> int:
    return int(resourcez(url)["kernels"]["total"])


def settle(url: str, seconds: float) -> float:
    """Waits until the server holds no session (a closed tab's is dropped
    after the app's idle time), then for the release that follows; returns
    the seconds waited."""
    start = time.time()
    while time.time() - start < seconds and sessions_held(url) > 0:
        time.sleep(5)
    time.sleep(10)  # sim.app.release runs a few seconds after the last session is dropped
    return time.time() - start


def log_lines(text: str) -> collections.Counter:
    kinds = collections.Counter()
    for line in text.splitlines():
        if "Traceback (most recent call last)" in line:
            kinds["traceback"] += 1
        elif "Exception in ASGI application" in line:
            kinds["ASGI exception"] += 1
        elif re.search(r"warn", line, re.I):
            kinds["warning: " + line.strip()[:90]] += 1
    return kinds


def summary(label: str, results: list[dict]) -> None:
    times = sorted(r["seconds"] for r in results if r["seconds"] is not None and not r["error"])
    failed = [r["error"] for r in results if r["error"]]
    js = sum(len(r["js_errors"]) for r in results)
    if times:
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{label}: {len(times)}/{len(results)} rendered; seconds to render median "
              f"{statistics.median(times):.1f}, p95 {p95:.1f}, max {times[-1]:.1f}; "
              f"{len(failed)} failed; {js} JavaScript errors")
    else:
        print(f"{label}: none of {len(results)} rendered")
    for reason, count in collections.Counter(failed).most_common():
        print(f"  failed x{count}: {reason}")
    for reason, count in collections.Counter(e for r in results for e in r["js_errors"]).most_common(5):
        print(f"  JavaScript error x{count}: {reason}")


async def main_async(args) -> None:
    from playwright.async_api import async_playwright

    ready = READY[args.path]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "app.log"
        proc, url = start_server(log)
        base = url
        url += args.path
        try:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM,
                                                  args=["--no-sandbox", "--disable-gpu",
                                                        "--disable-dev-shm-usage"])
                first = await wave(browser, url, ready, 1, args.timeout)  # the server's first page
                await close_all(first)
                summary("first page", first)
                start_mb = rss_mb(proc.pid)
                print(f"server after the first page: {server_state(base, proc.pid)}")

                burst = await wave(browser, url, ready, args.burst, args.timeout)
                summary(f"burst of {args.burst} at once", burst)
                print(f"server with the burst's pages open: {server_state(base, proc.pid)}")
                await close_all(burst)

                for round_ in range(1, args.rounds + 1):
                    opened, churn = 0, []
                    while opened < args.churn:
                        n = min(args.wave, args.churn - opened)
                        done = await wave(browser, url, ready, n, args.timeout)
                        await close_all(done)
                        churn += done
                        opened += n
                    summary(f"round {round_}: {args.churn} sessions ({args.wave} at a time) opened and closed", churn)
                    print(f"server after round {round_}: {server_state(base, proc.pid)}")
                    waited = settle(base, args.settle)
                    print(f"server {waited:.0f} s after round {round_}'s last tab closed: "
                          f"{server_state(base, proc.pid)} ({rss_mb(proc.pid) - start_mb:+.0f} MB against the start)")
                await browser.close()
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)
        text = log.read_text()
        kinds = log_lines(text)
        print(f"server printed {len(text.splitlines())} lines; " +
              ("; ".join(f"{k} x{v}" for k, v in kinds.most_common()) if kinds else "no traceback or warning"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", choices=sorted(READY), default="join",
                        help="the page a group opens (join), the teacher's (facilitator) or the explorer ('')")
    parser.add_argument("--burst", type=int, default=30)
    parser.add_argument("--churn", type=int, default=50)
    parser.add_argument("--wave", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds a page may take to render")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of --churn sessions, each followed by the release (a leak grows each round)")
    parser.add_argument("--settle", type=float, default=300.0,
                        help="seconds to wait for closed sessions to be dropped")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium)")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
