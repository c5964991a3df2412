"""Reading a request body safely: content type (415), size (413), JSON (400) and non-finite
numbers (422). Bodies are only ever parsed as JSON; nothing that can execute code is used.
"""

from __future__ import annotations

import json
from typing import Any

from driftline.serving._oip import RequestError

__all__ = ["check_content_type", "parse_json"]


def check_content_type(value: str | None) -> None:
    """Refuse anything but JSON with 415.

    Examples
    --------
    >>> check_content_type("application/json; charset=utf-8")
    >>> check_content_type("text/plain")
    Traceback (most recent call last):
    ...
    driftline.serving._oip.RequestError: content type 'text/plain' is not supported; send application/json.
    """
    media = (value or "").split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return
    shown = media or "(none)"
    raise RequestError(415, f"content type {shown!r} is not supported; send application/json.",
                       field="Content-Type")


def _reject_constant(name: str) -> Any:
    raise RequestError(422, f"the body holds the non-finite number {name}; send finite numbers "
                            "(or null where a value is missing).", field="body")


def parse_json(body: bytes) -> Any:
    """Parse a JSON body: malformed → 400, NaN/Infinity/overflowing numbers → 422.

    Examples
    --------
    >>> parse_json(b'{"a": [1, 2.5]}')
    {'a': [1, 2.5]}
    >>> parse_json(b'{"a": ')
    Traceback (most recent call last):
    ...
    driftline.serving._oip.RequestError: malformed JSON at line 1, column 7: Expecting value.
    >>> parse_json(b'{"a": 1e999}')
    Traceback (most recent call last):
    ...
    driftline.serving._oip.RequestError: the body holds a number too large for a 64-bit float; ...
    """
    try:
        import orjson

        return orjson.loads(body)
    except ImportError:  # pragma: no cover - orjson ships with the serve extra
        pass
    except ValueError:
        pass  # let the standard parser say where and why, and catch NaN / Infinity
    try:
        return json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float)
    except UnicodeDecodeError:
        raise RequestError(400, "the body is not UTF-8 text.", field="body") from None
    except json.JSONDecodeError as exc:
        raise RequestError(400, f"malformed JSON at line {exc.lineno}, column {exc.colno}: "
                                f"{exc.msg}.", field="body") from None


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise RequestError(422, "the body holds a number too large for a 64-bit float; send "
                                "finite numbers.", field="body")
    return value
