"""The one YAML loader: every config file and ``--set`` value goes through it.

Built on PyYAML's event parser (libyaml's C parser when it is installed, the
pure-Python one otherwise). The parser only tokenises; this module builds the
data from the event stream, iteratively, with the project's bounds on top:

- **YAML 1.2 core scalars**, not YAML 1.1: ``true``/``false`` (any case form
  of the spec) are booleans, ``null``/``~``/empty are null, decimal integers
  and floats (``.inf``, ``.nan``) are numbers; everything else is a string.
  No ``yes``/``no``/``on``/``off`` booleans, no hexadecimal, octal or
  sexagesimal numbers (``0x10`` is the string ``"0x10"``, which a schema then
  refuses where a number is due), and no timestamps: ``2015-11-13`` is the
  string ``"2015-11-13"``; the schema parses dates, so an impossible date is
  a field error naming its key.
- **No anchors, aliases or tags** (``&a``, ``*a``, ``!!python/...``) anywhere,
  ``--set`` values included, so alias bombs cannot expand. ``!!str`` is the
  one tag accepted.
- **Nesting** at most :data:`MAX_DEPTH` levels of lists and mappings, checked
  while parsing, before anything deeper is built.
- **Duplicate keys** refused, naming the key and both lines.
- **Size**: a file at most :data:`MAX_FILE_BYTES` bytes, UTF-8, one document;
  a ``--set`` value at most :data:`MAX_VALUE_CHARS` characters.

Every refusal is a :class:`sim.errors.ConfigError` (one bounded line).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, shown

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_VALUE_CHARS = 10_000
MAX_NUMBER_DIGITS = 100

_Parser = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
_Parser = _Parser or yaml.SafeLoader

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAGS = (None, "!", "tag:yaml.org,2002:seq")
_MAP_TAGS = (None, "!", "tag:yaml.org,2002:map")


def load_yaml_file(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[Any, str]:
    """Read one YAML config file within the bounds; return ``(data, text)``.

    Raises :class:`ConfigError` naming the file (and the line) for a missing,
    special, oversized, non-UTF-8 or malformed file. Never quotes the file's
    content beyond a short, escaped value.
    """
    p = Path(path)
    file = str(p)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ConfigError(file, None, "file not found") from None
    except OSError as exc:
        raise ConfigError(file, None, f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(file, None, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(file, None, "not a regular file (a FIFO, socket or device)")
    if st.st_size > max_bytes:
        raise ConfigError(file, None, f"file is {st.st_size:,} bytes; config files are limited to {max_bytes:,}")
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(file, None, f"cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > max_bytes:
        raise ConfigError(file, None, f"file is over {max_bytes:,} bytes; config files are limited to {max_bytes:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(file, f"line {line}", "not UTF-8 text") from None
    return load_yaml_text(text, file), text


def load_yaml_text(text: str, file: str, max_chars: int = MAX_FILE_BYTES) -> Any:
    """Parse one YAML document (a str) within the bounds; ``None`` if empty."""
    if not isinstance(text, str):
        raise ConfigError(file, None, "expected YAML text")
    if len(text) > max_chars:
        raise ConfigError(file, None, f"text is {len(text):,} characters; limited to {max_chars:,}")
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Builder(file).build(text)


def load_yaml_value(raw: str, where: str, key: str | None = None, max_chars: int = MAX_VALUE_CHARS) -> Any:
    """A ``--set`` value (or any short typed value) read as YAML, same rules.

    Text that is not valid YAML (``Paris: the attack``) is taken as the
    string itself; anchors, aliases, tags, deep nesting and duplicate keys
    are refused all the same.
    """
    if len(raw) > max_chars:
        raise ConfigError(where, key, f"value is {len(raw):,} characters; limited to {max_chars:,}")
    if not raw.strip():
        return ""
    try:
        return _Builder(where, key).build(raw)
    except _Syntax:
        return raw


def dump_yaml(data: Any) -> str:
    """Data as YAML text without anchors, which :func:`load_yaml_text` reads back (dates as text)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # noqa: D102 - never write anchors
        return True


class _Syntax(ConfigError):
    """Malformed YAML (a ConfigError; --set values fall back to plain text)."""


class _Builder:
    """Builds plain data from PyYAML events, with the bounds above."""

    def __init__(self, file: str, key: str | None = None):
        self.file = file
        self.key = key

    last_line = 0  # the text's last line (0-based): an error at the end of input is reported on it

    def fail(self, mark, message: str, cls=ConfigError):
        where = f"line {min(mark.line, self.last_line) + 1}" if mark is not None else None
        if self.key is not None:
            where = f"{self.key} ({where})" if where else self.key
        return cls(self.file, where, message)

    def build(self, text: str) -> Any:
        self.last_line = max(len(text.splitlines()) - 1, 0)
        parser = _Parser(text)
        try:
            return self._build(parser)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "malformed"
            raise self.fail(mark, f"invalid YAML: {problem}", _Syntax) from None
        except yaml.YAMLError as exc:
            raise self.fail(None, f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else 'malformed'}",
                            _Syntax) from None
        except RecursionError:  # pragma: no cover - the depth bound comes first
            raise self.fail(None, f"nested deeper than {MAX_DEPTH} levels") from None
        finally:
            parser.dispose()

    def _build(self, parser) -> Any:
        # Each frame: [container, is_mapping, pending key, {key: line}, key line]
        stack: list[list] = []
        result: Any = None
        documents = 0
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.fail(event.start_mark, "more than one YAML document (a second '---')")
                continue
            if isinstance(event, yaml.AliasEvent):
                raise self.fail(event.start_mark, "anchors and aliases (&name, *name) are not allowed in config files")
            if getattr(event, "anchor", None) is not None:
                raise self.fail(event.start_mark, "anchors and aliases (&name, *name) are not allowed in config files")
            if isinstance(event, yaml.ScalarEvent):
                self._add(stack, self._scalar(event), event.start_mark)
                if not stack:
                    result = self._last
                continue
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                is_map = isinstance(event, yaml.MappingStartEvent)
                if event.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
                    raise self.fail(event.start_mark, f"unsupported YAML tag {shown(event.tag)}")
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
                stack.append([{} if is_map else [], is_map, _NO_KEY, {}, None, event.start_mark])
                continue
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                frame = stack.pop()
                self._add(stack, frame[0], frame[5])
                if not stack:
                    result = frame[0]
                continue
        return result

    _last: Any = None

    def _add(self, stack, value, mark) -> None:
        self._last = value
        if not stack:
            return
        frame = stack[-1]
        container, is_map = frame[0], frame[1]
        if not is_map:
            container.append(value)
            return
        if frame[2] is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise self.fail(mark, "a mapping key must be a plain value, not a list or mapping")
            line = mark.line + 1
            if value in frame[3]:
                raise self.fail(mark, f"duplicate key {shown(value)} (lines {frame[3][value]} and {line})")
            frame[3][value] = line
            frame[2] = value
            return
        container[frame[2]] = value
        frame[2] = _NO_KEY

    def _scalar(self, event) -> Any:
        value = event.value
        if event.tag is None and event.implicit[0]:
            return self._resolve(value, event.start_mark)
        if event.tag in (None, "!", _STR_TAG):
            return value
        raise self.fail(event.start_mark, f"unsupported YAML tag {shown(event.tag)}")

    def _resolve(self, value: str, mark) -> Any:
        if value in _NULL:
            return None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if value[:1] in "-+.0123456789" and len(value) <= MAX_NUMBER_DIGITS + 8:
            if _INT.fullmatch(value):
                return int(value)
            if _FLOAT.fullmatch(value):
                return float(value)
            if _INF.fullmatch(value):
                return float("-inf") if value.startswith("-") else float("inf")
            if _NAN.fullmatch(value):
                return float("nan")
        elif value[:1] in "-+0123456789" and (_INT.fullmatch(value) or _FLOAT.fullmatch(value)):
            raise self.fail(mark, f"a number of {len(value):,} characters (at most {MAX_NUMBER_DIGITS} digits)")
        return value


class _NoKey:
    __slots__ = ()


_NO_KEY = _NoKey()
