"""The one error type for bad input."""

from __future__ import annotations

import difflib


class ConfigError(Exception):
    """Bad input: which file, which dotted key, what was wrong.

    The command line prints ``str(error)`` as one line and exits with status 2.
    """

    def __init__(self, file: str | None, key: str | None, message: str):
        self.file = str(file) if file is not None else None
        self.key = key
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.key) if p]
        where = ": ".join(parts)
        return f"{where}: {self.message}" if where else self.message


def suggest(word: str, choices) -> str:
    """' (did you mean X?)' for a near miss, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def first_error(exc) -> dict:
    """The error of a pydantic ``ValidationError`` to report.

    An unknown key comes first: a misspelt key also makes the right one
    "missing", and the misspelling is what the user needs to see.
    """
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
