"""Just enough PromQL reading for the dashboard lint rules: the vector selectors of an
expression, each with its matchers, its range (``[...]``) and the function call it sits in.

It does not validate PromQL (promtool does that, see ``promtool.py``); it tokenizes, tracks
brackets, and tells metric names apart from function names, keywords and label names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Selector", "selectors", "substitute"]

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<var>\$\{[^}]+\}|\$\w+)
  | (?P<number>(?:\d+(?:ms|[smhdwy]))+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|==|!=|<=|>=|[-+*/%^<>=(){},])
""", re.VERBOSE)
# Words that are never metric names, and the modifiers whose parentheses hold label names.
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
             "unless", "offset", "atan2", "inf", "nan"}
_LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


@dataclass(frozen=True)
class Selector:
    """One ``metric{matchers}[range]`` and the innermost function call around it."""

    metric: str
    matchers: tuple[tuple[str, str, str], ...] = ()
    range: str | None = None  # the text between the brackets, e.g. "$__rate_interval"
    call: str | None = None  # the innermost enclosing call ("rate"); None at the top or in (...)
    parents: tuple[str, ...] = field(default=())  # every enclosing call, outermost first


def _tokens(expr: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None:
            raise ValueError(f"cannot read PromQL at {expr[pos:pos + 20]!r} in {expr!r}")
        if m.lastgroup != "ws":
            out.append((str(m.lastgroup), m.group()))
        pos = m.end()
    return out


def _matchers(tokens: list[tuple[str, str]], i: int) -> tuple[tuple[tuple[str, str, str], ...], int]:
    """The matchers of the ``{...}`` starting at ``tokens[i]``; the index after ``}``."""
    found, i = [], i + 1
    while tokens[i][1] != "}":
        if tokens[i][1] == ",":
            i += 1
            continue
        label, op, value = tokens[i][1], tokens[i + 1][1], tokens[i + 2][1]
        found.append((label, op, value[1:-1]))
        i += 3
    return tuple(found), i + 1


def selectors(expr: str) -> list[Selector]:
    """Every vector selector of ``expr``, in order.

    >>> [(s.metric, s.range, s.call) for s in selectors(
    ...     'sum by (le) (rate(x_bucket{a="1"}[$__rate_interval])) / on (le) y')]
    [('x_bucket', '$__rate_interval', 'rate'), ('y', None, None)]
    """
    tokens, out = _tokens(expr), []
    stack: list[str | None] = []  # for each open "(": the function or keyword before it
    aggregation, closed = None, None  # "sum" of "sum by (x) (...)", the last ")"'s opener
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if text == "(":
            prev = tokens[i - 1] if i else ("", "")
            after_by = prev[1] == ")" and closed in ("by", "without")
            stack.append(aggregation if after_by else prev[1] if prev[0] == "ident" else None)
        elif text == ")":
            closed = stack.pop()
        elif kind == "ident" and nxt in ("by", "without"):
            aggregation = text
        elif kind == "ident" and nxt != "(" and text not in _KEYWORDS \
                and not (stack and stack[-1] in _LABEL_LISTS):
            matchers, j = _matchers(tokens, i + 1) if nxt == "{" else ((), i + 1)
            rng = tokens[j][1][1:-1] if j < len(tokens) and tokens[j][0] == "range" else None
            calls = tuple(c for c in stack if c)
            out.append(Selector(text, matchers, rng, stack[-1] if stack else None, calls))
            i = j + (rng is not None)
            continue
        i += 1
    return out


def substitute(expr: str, values: dict[str, str], default: str = ".+") -> str:
    """Replace Grafana variables (``$x``, ``${x}``, ``${x:fmt}``, ``[[x]]``) with literals:
    ``values[name]``, else ``default``."""
    return _VARIABLE.sub(lambda m: values.get(next(g for g in m.groups() if g), default), expr)
