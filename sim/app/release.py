"""Give a closed session's memory back to the system.

When a browser tab closes, Solara keeps its session (kernel) for the idle
time set by ``coalition-sim app`` and then drops it. Python frees the
session's objects, but the C allocator keeps the freed pages for reuse, so
the server's resident memory stays at its high-water mark after a class has
left. A moment after a session is dropped (once for several dropped
together), :func:`release` collects the cycles the session left and asks
glibc's allocator to return its free pages (``malloc_trim``). Measured by
``benchmarks/bench_class_load.py`` (README, Performance).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading

DELAY_S = 5.0  # after the last session dropped: one release for a class leaving together

_lock = threading.Lock()
_timer: threading.Timer | None = None


def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release() -> None:
    """Collect the dropped sessions' cycles and return free pages to the system."""
    global _timer
    with _lock:
        _timer = None
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)


def soon() -> None:
    """Schedules one :func:`release` DELAY_S from now (a later call in that
    time is folded into it): called as a session closes, while its objects
    are still referenced."""
    global _timer
    with _lock:
        if _timer is None:
            _timer = threading.Timer(DELAY_S, release)
            _timer.daemon = True
            _timer.start()


def on_session() -> object:
    """For ``solara.lab.on_kernel_start``: each session, when it closes,
    schedules a release."""
    return soon
