"""Bearer tokens with two roles: ``predict`` (predict, infer, feedback, log, metadata) and
``admin`` (promote, rollback, retrain). The tokens are read from the environment variables the
project file names, compared in constant time, and never logged or echoed.

A role whose variable is unset is open; the server refuses to bind to a non-loopback address
unless both roles have tokens (or ``--insecure`` is given).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from driftline.serving._oip import RequestError

__all__ = ["ROLES", "Tokens"]

ROLES = ("predict", "admin")


@dataclass(frozen=True, repr=False)
class Tokens:
    """The two tokens (``None`` for a role without one).

    Examples
    --------
    >>> t = Tokens(predict=b"p-secret", admin=b"a-secret")
    >>> t.check("predict", "Bearer p-secret")
    >>> t.check("admin", "Bearer p-secret")
    Traceback (most recent call last):
    ...
    driftline.serving._oip.RequestError: this token does not have the admin role.
    >>> t
    Tokens(predict=set, admin=set)
    """

    predict: bytes | None = None
    admin: bytes | None = None

    def __repr__(self) -> str:  # never show a token
        state = {r: "set" if getattr(self, r) else "unset" for r in ROLES}
        return f"Tokens(predict={state['predict']}, admin={state['admin']})"

    @classmethod
    def from_env(cls, token_env: str, admin_token_env: str,
                 environ: Mapping[str, str] | None = None) -> Tokens:
        """Read the tokens from the named environment variables."""
        env = os.environ if environ is None else environ
        p, a = env.get(token_env) or None, env.get(admin_token_env) or None
        return cls(None if p is None else p.encode(), None if a is None else a.encode())

    @property
    def complete(self) -> bool:
        """Both roles have tokens (required to bind beyond loopback)."""
        return self.predict is not None and self.admin is not None

    def check(self, role: str, authorization: str | None) -> None:
        """Raise 401 (no or unknown token) or 403 (a valid token of the other role)."""
        expected = getattr(self, role)
        if expected is None:
            return
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise RequestError(401, "this endpoint needs a token: send 'Authorization: Bearer "
                                    "<token>'.", field="Authorization")
        token = given.strip().encode()
        if hmac.compare_digest(token, expected):
            return
        other = self.admin if role == "predict" else self.predict
        if other is not None and hmac.compare_digest(token, other):
            raise RequestError(403, f"this token does not have the {role} role.",
                               field="Authorization")
        raise RequestError(401, "the token is not valid.", field="Authorization")
