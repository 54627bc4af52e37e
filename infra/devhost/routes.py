"""HTTP route templates as the Functions host (ASP.NET Core routing) reads them.

Supported template pieces, per ``/``-separated segment:

* literals (matched case-insensitively, as ASP.NET does);
* ``{name}``, ``{name?}`` (optional, only at the end), ``{name=default}``;
* constraints ``{id:int}``, ``{id:int:min(1)}``: int, long, bool, alpha, guid, decimal,
  double, float, datetime, min(n), max(n), range(a,b), length(n), length(a,b),
  minlength(n), maxlength(n), regex(expr);
* catch-all ``{*rest}`` / ``{**rest}`` as the last segment;
* several pieces in one segment (``{name}.{ext}``).

Each template compiles to one RE2 pattern (linear time on untrusted paths); constraints
are checked on the captured, percent-decoded values. When several templates match a
path, literal segments win over parameters, constrained parameters over plain ones,
and catch-alls come last (ASP.NET's route precedence, simplified).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

import re2

from .errors import DevHostError

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _re2_options(case_sensitive: bool) -> re2.Options:
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = case_sensitive
    return options


@dataclass(frozen=True)
class Constraint:
    name: str
    args: tuple[str, ...]
    pattern: object | None = None  # compiled RE2 for regex(...)

    def check(self, value: str) -> bool:
        n = self.name
        if n in ("int", "long"):
            low, high = _INT32 if n == "int" else _INT64
            return _is_integer(value) and low <= int(value) <= high
        if n == "bool":
            return value.lower() in ("true", "false")
        if n == "alpha":
            return bool(value) and value.isascii() and value.isalpha()
        if n == "guid":
            try:
                uuid.UUID(value)
            except ValueError:
                return False
            return True
        if n in ("decimal", "double", "float"):
            return _is_number(value)
        if n == "datetime":
            try:
                datetime.fromisoformat(value)
            except ValueError:
                return False
            return True
        if n in ("min", "max", "range"):
            if not _is_integer(value):
                return False
            number = int(value)
            bounds = [int(a) for a in self.args]
            if n == "min":
                return number >= bounds[0]
            if n == "max":
                return number <= bounds[0]
            return bounds[0] <= number <= bounds[1]
        if n in ("length", "minlength", "maxlength"):
            size = len(value)
            bounds = [int(a) for a in self.args]
            if n == "minlength":
                return size >= bounds[0]
            if n == "maxlength":
                return size <= bounds[0]
            return size == bounds[0] if len(bounds) == 1 else bounds[0] <= size <= bounds[1]
        if n == "regex":
            return self.pattern.search(value) is not None  # type: ignore[attr-defined]
        return False  # unreachable: unknown names are refused when parsing


def _is_integer(value: str) -> bool:
    """Optionally signed ASCII digits that fit a 64-bit integer's width (the host's
    constraints are Int32/Int64; 4,400 digits would also trip Python's int-string limit)."""
    body = value[1:] if value[:1] in ("-", "+") else value
    return bool(body) and len(body) <= 19 and body.isascii() and body.isdigit()


def _is_number(value: str) -> bool:
    if not value or not all(c in "0123456789+-.eE" for c in value):
        return False
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    return math.isfinite(number)


_ARG_COUNTS = {
    "int": (0,),
    "long": (0,),
    "bool": (0,),
    "alpha": (0,),
    "guid": (0,),
    "decimal": (0,),
    "double": (0,),
    "float": (0,),
    "datetime": (0,),
    "min": (1,),
    "max": (1,),
    "range": (2,),
    "length": (1, 2),
    "minlength": (1,),
    "maxlength": (1,),
    "regex": (1,),
}


def _parse_constraint(text: str, template: str) -> Constraint:
    name, paren, rest = text.partition("(")
    name = name.strip().lower()
    args: tuple[str, ...] = ()
    if paren:
        if not rest.endswith(")"):
            raise DevHostError(f"route '{template}': constraint '{text}' is missing ')'")
        inner = rest[:-1]
        # In templates, braces inside a regex are doubled ({{2}}) to tell them from parameters.
        regex_arg = inner.replace("{{", "{").replace("}}", "}")
        args = (regex_arg,) if name == "regex" else tuple(a.strip() for a in inner.split(","))
    if name not in _ARG_COUNTS:
        raise DevHostError(f"route '{template}': unknown route constraint '{name}'")
    if len(args) not in _ARG_COUNTS[name]:
        raise DevHostError(f"route '{template}': constraint '{text}' has the wrong number of arguments")
    if name != "regex" and not all(_is_integer(a) for a in args):
        raise DevHostError(f"route '{template}': constraint '{text}' needs whole-number arguments")
    pattern = None
    if name == "regex":
        try:
            pattern = re2.compile(args[0], _re2_options(case_sensitive=False))
        except re2.error as exc:
            raise DevHostError(f"route '{template}': regex constraint does not compile under RE2") from exc
    return Constraint(name, args, pattern)


@dataclass(frozen=True)
class Param:
    name: str
    constraints: tuple[Constraint, ...] = ()
    optional: bool = False
    default: str | None = None
    catch_all: bool = False


def _split_param(body: str, template: str) -> Param:
    """``name:c1:c2(args)?`` / ``name=default`` / ``*rest`` → Param (colons inside parens kept)."""
    catch_all = False
    if body.startswith("**"):
        body, catch_all = body[2:], True
    elif body.startswith("*"):
        body, catch_all = body[1:], True
    optional = body.endswith("?")
    if optional:
        body = body[:-1]
    default = None
    pieces: list[str] = []
    depth = 0
    current = []
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == ":" and depth == 0:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    name = pieces[0]
    if "=" in name:
        name, _, default = name.partition("=")
    last = pieces[-1]
    if len(pieces) > 1 and "=" in last and depth == 0 and not last.startswith("regex("):
        pieces[-1], _, default = last.partition("=")
    name = name.strip()
    if not name or not all(c.isalnum() or c == "_" for c in name):
        raise DevHostError(f"route '{template}': invalid parameter name '{name}'")
    constraints = tuple(_parse_constraint(p, template) for p in pieces[1:])
    return Param(name, constraints, optional or default is not None, default, catch_all)


def _segment_pieces(segment: str, template: str) -> list[str | Param]:
    """Split one segment into literal strings and parameters (``{{``/``}}`` are literal braces)."""
    pieces: list[str | Param] = []
    literal: list[str] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "{" and segment[i + 1 : i + 2] == "{":
            literal.append("{")
            i += 2
            continue
        if ch == "}" and segment[i + 1 : i + 2] == "}":
            literal.append("}")
            i += 2
            continue
        if ch == "{":
            depth = 0
            j = i + 1
            while j < len(segment):
                if segment[j] == "(":
                    depth += 1
                elif segment[j] == ")":
                    depth -= 1
                elif segment[j] == "}" and depth == 0:
                    break
                j += 1
            if j >= len(segment):
                raise DevHostError(f"route '{template}': unclosed '{{' in segment '{segment}'")
            if literal:
                pieces.append("".join(literal))
                literal = []
            pieces.append(_split_param(segment[i + 1 : j], template))
            i = j + 1
            continue
        if ch == "}":
            raise DevHostError(f"route '{template}': stray '}}' in segment '{segment}'")
        literal.append(ch)
        i += 1
    if literal:
        pieces.append("".join(literal))
    return pieces


class RouteTemplate:
    """One compiled route (route prefix included)."""

    def __init__(self, template: str, prefix: str = "api") -> None:
        self.template = template
        self.prefix = prefix.strip("/")
        route = template.strip().strip("/")
        segments = [s for s in (self.prefix.split("/") if self.prefix else [])] + (route.split("/") if route else [])
        self.params: list[Param] = []
        pattern: list[str] = []
        ranks: list[int] = []
        seen: set[str] = set()
        for index, segment in enumerate(segments):
            if not segment:
                raise DevHostError(f"route '{template}': empty segment ('//')")
            pieces = _segment_pieces(segment, template)
            last = index == len(segments) - 1
            params = [p for p in pieces if isinstance(p, Param)]
            for p in params:
                if p.name.lower() in seen:
                    raise DevHostError(f"route '{template}': parameter '{p.name}' appears twice")
                seen.add(p.name.lower())
                if p.catch_all and not last:
                    raise DevHostError(f"route '{template}': a catch-all parameter must be the last segment")
                if p.optional and not last and not p.default:
                    raise DevHostError(f"route '{template}': an optional parameter must be in the last segment")
            self.params.extend(params)
            if len(pieces) == 1 and isinstance(pieces[0], Param):
                p = pieces[0]
                if p.catch_all:
                    pattern.append(f"(?:/(?P<g{len(self.params) - 1}>.*))?")
                    ranks.append(6)
                elif p.optional:
                    pattern.append(f"(?:/(?P<g{len(self.params) - 1}>[^/]+))?")
                    ranks.append(5)
                else:
                    pattern.append(f"/(?P<g{len(self.params) - 1}>[^/]+)")
                    ranks.append(3 if p.constraints else 4)
                continue
            if not params:
                pattern.append("/" + re2.escape(segment))
                ranks.append(1)
                continue
            # Mixed literal/parameter segment.
            parts = ["/"]
            first_index = len(self.params) - len(params)
            k = 0
            for piece in pieces:
                if isinstance(piece, Param):
                    if piece.catch_all:
                        raise DevHostError(f"route '{template}': a catch-all must be a whole segment")
                    # Greedy: like ASP.NET, literals split from the right ({name}.{ext} on a.b.c → a.b / c).
                    parts.append(f"(?P<g{first_index + k}>[^/]+)")
                    k += 1
                else:
                    parts.append(re2.escape(piece))
            pattern.append("".join(parts))
            ranks.append(2)
        self.ranks = tuple(ranks)
        text = "".join(pattern) or "/"
        self._regex = re2.compile(text, _re2_options(case_sensitive=False))

    @property
    def url_path(self) -> str:
        """The path as printed in the route listing (``/api/items/{id}``)."""
        return "/" + "/".join(p for p in (self.prefix, self.template.strip().strip("/")) if p)

    def match(self, path: str) -> dict[str, str] | None:
        """Route values for a raw (still percent-encoded) path, or None."""
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        m = self._regex.fullmatch(path)
        if m is None:
            return None
        values: dict[str, str] = {}
        for index, param in enumerate(self.params):
            raw = m.group(f"g{index}")
            if raw is None or raw == "":
                if param.default is not None:
                    values[param.name] = param.default
                elif not (param.optional or param.catch_all):
                    return None
                continue
            value = unquote(raw)
            if not all(c.check(value) for c in param.constraints):
                return None
            values[param.name] = value
        return values

    def sort_key(self) -> tuple[tuple[int, ...], int, str]:
        # Lower ranks first; among equals, longer (more specific) templates first.
        return (self.ranks, -len(self.ranks), self.template.lower())
