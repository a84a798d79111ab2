"""Executors: one ``concurrent.futures`` interface, three back ends."""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

SCHEDULER_TIMEOUT = "20s"  # how long to try to reach a Dask scheduler

# --------------------------------------------------------------------------
# Executors: one interface, three back ends


class InlineExecutor(cf.Executor):
    """Runs each job when submitted, in this process (one worker, no pool)."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future


@dataclass
class Backend:
    executor: cf.Executor
    slots: int  # jobs in flight at once
    label: str
    close: Any = None
    keep_open: bool = False
    # What runs the chunks, for the manifest: {"kind": "processes" | "threads" | "in-process", ...}.
    workers: dict = field(default_factory=dict)


def open_backend(workers: int | None = None, scheduler: str | None = None) -> Backend:
    """The executor for a sweep: a Dask cluster's when ``scheduler`` is given,
    else local processes (``workers`` of them; 1 runs in this process)."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - a declared dependency
            raise ConfigError("--scheduler", None, "dask.distributed is not installed") from None
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise ConfigError("--scheduler", scheduler, f"cannot reach the Dask scheduler ({exc})") from None
        per_worker = client.nthreads()
        threads = sum(per_worker.values()) or 1
        return Backend(client.get_executor(pure=False), 2 * threads,
                       f"Dask scheduler {scheduler} ({len(per_worker)} workers, {threads} threads)", client.close,
                       workers={"kind": "dask", "dask_workers": len(per_worker), "threads": threads,
                                "scheduler": scheduler})
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers == 1:
        return Backend(InlineExecutor(), 1, "1 process", workers={"kind": "in-process", "count": 1})
    import multiprocessing

    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_worker_init, initargs=(os.getpid(),))
    return Backend(pool, 2 * workers, f"{workers} worker processes", workers={"kind": "processes", "count": workers})


def _worker_init(parent: int | None = None) -> None:
    """Local workers leave Ctrl+C to the sweep, which stops them itself, and
    end when their parent dies (kill -9 included): a watchdog thread checks
    the parent's pid every half second. ``parent`` is the sweep's pid, given
    by the sweep itself: a worker still starting when the sweep was killed has
    already been handed to another parent, and must see that and end."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid() if parent is None else parent
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _stop(executor: cf.Executor, pending: set) -> None:
    """Stop at once: cancel what has not started; local workers are ended
    (their chunks were not saved, so a resume runs them again)."""
    for fut in pending:
        fut.cancel()
    if isinstance(executor, cf.ProcessPoolExecutor):
        for proc in list((executor._processes or {}).values()):  # no public way to end running jobs
            proc.terminate()
        executor.shutdown(wait=False, cancel_futures=True)
