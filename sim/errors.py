"""The one error type for bad input, and its bounds.

A :class:`ConfigError` prints as one line of at most :data:`MAX_MESSAGE`
characters: control and format characters are escaped (a NUL byte in a key
prints as ``\\x00``), a long part is shown as its start and its length.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

MAX_MESSAGE = 400
MAX_FILE = 160
MAX_KEY = 120
MAX_SHOWN = 60
# The range of a run seed: run seeds are drawn as 63-bit integers
# (sim.experiment.run_seeds), and every engine takes them.
MAX_SEED = 2**63 - 1


def clean(text, limit: int) -> str:
    """One line: control/format characters escaped, at most about ``limit`` characters."""
    text = str(text)
    if len(text) > 4 * limit:  # escape only what can be shown
        total = len(text)
        text = text[: 2 * limit]
    else:
        total = None
    out = []
    for ch in text:
        if ch == "\\" or ch.isprintable() and unicodedata.category(ch) not in ("Cf", "Zl", "Zp"):
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    escaped = "".join(out)
    if total is None and len(escaped) <= limit:
        return escaped
    keep = max(limit - 30, 8)
    return f"{escaped[:keep]}… ({total or len(str(text)):,} characters)"


def shown(value, limit: int = MAX_SHOWN) -> str:
    """A value as quoted in a message: repr-like, escaped, long ones cut to their start and length."""
    if isinstance(value, str):
        return f"'{clean(value, limit)}'"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3 * limit:
        return f"an integer of {value.bit_length():,} bits"
    return clean(repr(value), limit)


class ConfigError(Exception):
    """Bad input: which file, which dotted key, what was wrong.

    The command line prints ``str(error)`` as one line and exits with status 2.
    """

    def __init__(self, file: str | None, key: str | None, message: str):
        self.file = str(file) if file is not None else None
        self.key = str(key) if key is not None else None
        self.message = str(message).strip()
        super().__init__(str(self))

    def __reduce__(self):
        # Rebuilt from its three fields, so it crosses process pools and Dask whole.
        return (type(self), (self.file, self.key, self.message))

    def __str__(self) -> str:
        parts = [clean(self.file, MAX_FILE) if self.file else None, clean(self.key, MAX_KEY) if self.key else None]
        where = ": ".join(p for p in parts if p)
        room = MAX_MESSAGE - len(where) - 2
        message = clean(self.message, max(room, 60))
        return f"{where}: {message}" if where else message


def suggest(word: str, choices) -> str:
    """' (did you mean X?)' for a near miss, else ''."""
    word = str(word)
    if len(word) > 100:
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {clean(close[0], MAX_SHOWN)}?" if close else ""


def check_seed(value, where: str = "--seed", maximum: int = MAX_SEED) -> int:
    """A seed: an integer in [0, maximum] (not a boolean), or ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int):
        text = str(value).strip() if isinstance(value, str) else None
        if text is None or not re.fullmatch(r"[-+]?[0-9]{1,40}", text):
            raise ConfigError(where, None, f"expected a whole number in [0, {maximum}], got {shown(value)}")
        value = int(text)
    if not 0 <= value <= maximum:
        raise ConfigError(where, None, f"{shown(value)} is out of range: a seed is a whole number in [0, {maximum}]")
    return value


def first_error(exc) -> dict:
    """The error of a pydantic ``ValidationError`` to report.

    An unknown key comes first: a misspelt key also makes the right one
    "missing", and the misspelling is what the user needs to see.
    """
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
