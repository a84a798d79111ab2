"""Output folders that are never lost or mixed: claimed before anything is
written, and locked while a sweep writes them.

Rules (the README's "Results folders"):

- a folder that does not exist is created; an empty folder is used;
- a folder this project wrote before (it holds the marker file named by
  ``MARKER``, with the kind of output) may be replaced by the same kind of
  output; anything else that is not empty is refused in one line: nothing
  the user put there is deleted or overwritten;
- ``.`` and other paths without a name are resolved first, so ``--out .``
  means the working folder (used when empty, refused otherwise);
- a sweep's folder is known by its ``manifest.json`` (no marker);
- a sweep holds ``DIR/.lock`` (``fcntl.flock``; the file says which pid on
  which host) while it writes; a second writer is refused naming the holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path

from ..errors import ConfigError

MARKER = ".coalition-sim"
LOCK = ".lock"


def check_output_dir(path: str | Path, kind: str, *, replace: bool = False,
                     files: set[str] | None = None) -> Path:
    """The resolved folder ``path``, if it may receive an output of ``kind``
    ("run", "sweep", "report"); else one line (ConfigError). Creates nothing.

    ``replace=True`` accepts a folder that holds a previous output of the
    same kind (our marker says so) and, when ``files`` is given, nothing but
    those files: what the user put beside them is never overwritten."""
    out = Path(path).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError(str(path), None, "--out must be a directory, and this is a file")
    if out.is_dir():
        entries = {p.name for p in out.iterdir()} - {MARKER, LOCK}
        if entries:
            owner = marker_kind(out)
            foreign = entries - files if files is not None else set()
            if not (replace and owner == kind and not foreign):
                if owner and foreign:
                    what = f"holds files this {owner} output did not write ({sorted(foreign)[0]!r}, ...)"
                elif owner:
                    what = f"holds a previous {owner} output"
                else:
                    what = f"is not empty ({len(entries)} entries) and was not written by coalition-sim"
                raise ConfigError(str(path), None, f"output folder {what}; nothing in it is touched: "
                                                   "choose a new or empty folder")
    return out


def claim_output_dir(path: str | Path, kind: str, *, replace: bool = False,
                     files: set[str] | None = None) -> Path:
    """:func:`check_output_dir`, then create the folder and mark it as an
    output of ``kind``; return the resolved path. For ``report --out``:
    ``claim_output_dir(path, "report", replace=True, files={...})``."""
    out = check_output_dir(path, kind, replace=replace, files=files)
    try:
        out.mkdir(parents=True, exist_ok=True)
        mark(out, kind)
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot create the output folder ({exc.strerror})") from None
    return out


def mark(out: Path, kind: str) -> None:
    (out / MARKER).write_text(json.dumps({"kind": kind}) + "\n")


def marker_kind(out: Path) -> str | None:
    if (out / "manifest.json").is_file():
        return "sweep"  # a sweep's folder is known by its manifest
    try:
        return json.loads((out / MARKER).read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


class FolderLock:
    """An exclusive ``flock`` on ``DIR/.lock`` (released when the process
    ends, however it ends); the file names the holder's pid and host."""

    def __init__(self, out: Path):
        self.path = Path(out) / LOCK
        self.fd: int | None = None

    def acquire(self) -> "FolderLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            finally:
                os.close(fd)
            raise ConfigError(str(self.path.parent), None,
                              f"another sweep is writing this folder ({holder}); wait for it or choose another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self, remove: bool = False) -> None:
        """Let go; ``remove`` also deletes the lock file (a finished sweep's folder keeps none)."""
        if self.fd is not None:
            if remove:
                self.path.unlink(missing_ok=True)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
