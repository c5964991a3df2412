"""POSTing JSON with retries: the delivery policy every HTTP sink shares.

Connection errors, timeouts, 5xx and 429 are retried with exponential backoff
(``backoff * 2**attempt`` seconds, or the server's ``Retry-After`` when that is longer, capped
at a minute). Other 4xx, and redirects, are not retried: sending the same body again cannot fix
them. The standard library does the HTTP, so the sinks need no extra.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

from driftline.errors import DriftlineError, ParameterError

__all__ = ["DeliveryError", "HttpPolicy", "redact_url"]

_MAX_DELAY = 60.0
_BODY_KEPT = 500


class DeliveryError(DriftlineError):
    """Events could not be delivered; the message names the URL (redacted) and the last status.

    Attributes
    ----------
    url : the endpoint without credentials, query string or fragment.
    status : the last HTTP status, or ``None`` when the last attempt got no response.
    attempts : how many attempts were made.
    body : the start of the last response body (not part of the message), for debugging.

    Examples
    --------
    >>> err = DeliveryError("https://hooks.example.com/x", 503, 4, "Service Unavailable")
    >>> print(err)
    delivery to https://hooks.example.com/x failed after 4 attempts; last status 503 (Service Unavailable).
    """

    def __init__(self, url: str, status: int | None, attempts: int, reason: str, body: str = "") -> None:
        self.url, self.status, self.attempts, self.body = url, status, attempts, body
        last = f"last status {status} ({reason})" if status is not None else f"last error: {reason}"
        plural = "attempt" if attempts == 1 else "attempts"
        super().__init__(f"delivery to {url} failed after {attempts} {plural}; {last}.")


def redact_url(url: str) -> str:
    """``url`` without user info, query string or fragment: safe for messages and logs.

    Examples
    --------
    >>> redact_url("https://user:pw@hooks.example.com:8443/t/abc?token=s3cret#x")
    'https://hooks.example.com:8443/t/abc'
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Following a redirect would resend the headers (tokens) to wherever it points.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class HttpPolicy:
    """Where and how to POST: the URL, headers, timeout and retry policy of one sink.

    ``retries`` counts the attempts after the first, so ``retries=3`` makes up to 4. User info
    in the URL (``https://user:pw@host/``) is sent as HTTP basic auth.

    Examples
    --------
    >>> HttpPolicy("https://hooks.example.com/x?token=s3cret").to_dict()["url"]
    'https://hooks.example.com/x'
    >>> HttpPolicy("ftp://example.com/x")
    Traceback (most recent call last):
    ...
    driftline.errors.ParameterError: url must be an http:// or https:// URL with a host; got 'ftp://...'.
    """

    url: str
    headers: Mapping[str, str] | None = None
    timeout: float = 5.0
    retries: int = 3
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url) if isinstance(self.url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ParameterError.invalid("url", redact_url(str(self.url)) if isinstance(self.url, str)
                                         else self.url, "an http:// or https:// URL with a host")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) \
                or not self.timeout > 0:
            raise ParameterError.invalid("timeout", self.timeout, "a number of seconds > 0")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise ParameterError.invalid("retries", self.retries, "an int >= 0")
        if isinstance(self.backoff, bool) or not isinstance(self.backoff, (int, float)) \
                or not self.backoff >= 0:
            raise ParameterError.invalid("backoff", self.backoff, "a number of seconds >= 0")
        object.__setattr__(self, "headers", dict(self.headers or {}))

    def to_dict(self) -> dict[str, Any]:
        """The policy without secrets: the redacted URL and the header names only."""
        return {"url": redact_url(self.url), "headers": sorted(self.headers or {}),
                "timeout": self.timeout, "retries": self.retries, "backoff": self.backoff}

    def post_json(self, body: Any) -> int:
        """POST ``body`` as JSON, retrying per the policy; return the final 2xx status.

        Raises :class:`DeliveryError` when every attempt failed or the server refused the body.
        """
        data = json.dumps(body, allow_nan=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": "driftline-alerts",
                   **(self.headers or {})}
        parts = urllib.parse.urlsplit(self.url)
        if parts.username is not None and not any(h.lower() == "authorization" for h in headers):
            # urllib does not send user info from the URL; HTTP basic auth is what it means.
            pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
        attempts = self.retries + 1
        for attempt in range(attempts):
            status, reason, retry_after, text = self._attempt(data, headers)
            if status is not None and 200 <= status < 300:
                return status
            retryable = status is None or status >= 500 or status == 429
            if not retryable or attempt == attempts - 1:
                raise DeliveryError(redact_url(self.url), status, attempt + 1, reason, text)
            delay = self.backoff * 2**attempt
            self.sleep(min(max(delay, retry_after or 0.0), _MAX_DELAY))
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, data: bytes, headers: dict[str, str]) -> tuple[int | None, str, float | None, str]:
        """One POST: (status or None, reason, Retry-After seconds, start of the body)."""
        parts = urllib.parse.urlsplit(self.url)
        netloc = parts.netloc.rpartition("@")[2]
        url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                response.read()
                return response.status, response.reason, None, ""
        except urllib.error.HTTPError as exc:
            with exc:
                text = exc.read(_BODY_KEPT).decode("utf-8", "replace")
            return exc.code, str(exc.reason), _retry_after(exc.headers.get("Retry-After")), text
        except urllib.error.URLError as exc:
            return None, _describe(exc.reason), None, ""
        except (OSError, HTTPException) as exc:  # timeouts, resets, malformed responses
            return None, _describe(exc), None, ""


def _describe(reason: object) -> str:
    # Socket errors name the peer at most, never the URL; keep the type for timeouts.
    text = str(reason) or type(reason).__name__
    return text if isinstance(reason, str) else f"{type(reason).__name__}: {text}"


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None
