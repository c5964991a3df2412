"""Personal data in logged features: hashed with a secret key, or never stored.

The project file's ``privacy.pii_columns`` marks columns ``hash`` or ``drop``; the service calls
:func:`protect` on every batch before :meth:`~driftline.store.Store.log_predictions`, so the raw
values never reach the store.

A hashed column keeps what drift detection needs (equal values stay equal, so counts and
category frequencies are unchanged) and loses the value. The hash is keyed (HMAC-SHA256): a
plain hash of an email address or a phone number is reversed by hashing a list of candidates,
which the secret salt prevents.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np

from driftline.errors import ConfigError, ParameterError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PII_ACTIONS", "protect", "salt_from_env"]

PII_ACTIONS = ("hash", "drop")

#: Hex characters kept from each digest: 128 bits, so distinct values never collide in practice.
_DIGEST_CHARS = 32
_BLOCK = 64  # SHA-256 block size in bytes


def salt_from_env(env: str = "DRIFTLINE_PII_SALT") -> bytes:
    """The PII salt from the environment variable ``env`` (``privacy.hash_salt_env``).

    Raises :class:`~driftline.errors.ConfigError` when the variable is unset or empty.

    Examples
    --------
    >>> import os
    >>> os.environ["EXAMPLE_SALT"] = "s3cret"
    >>> salt_from_env("EXAMPLE_SALT")
    b's3cret'
    """
    value = os.environ.get(env, "")
    if not value:
        raise ConfigError(f"the environment variable {env} (privacy.hash_salt_env) must hold the "
                          "secret salt for hashed PII columns; it is unset or empty. Set it to a "
                          "long random string and keep it the same across restarts.")
    return value.encode("utf-8")


def _hmac_sha256_hex(key: bytes, messages: list[bytes]) -> list[str]:
    """HMAC-SHA256 (RFC 2104) of each message, hex. The keyed inner and outer states are
    computed once and copied per message: three times faster than ``hmac.digest`` per value."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    out = []
    for message in messages:
        i = inner.copy()
        i.update(message)
        o = outer.copy()
        o.update(i.digest())
        out.append(o.hexdigest()[:_DIGEST_CHARS])
    return out


def _texts(uniques: pd.Index) -> np.ndarray:
    """The string form of each value; a whole float is written as an integer, so an id column
    hashes the same whether or not a null in its batch made pandas store it as floats."""
    text = uniques.astype(str).to_numpy(dtype=object)
    if uniques.dtype.kind == "f":
        v = uniques.to_numpy()
        whole = np.isfinite(v) & (np.abs(v) < 2.0**53)
        whole[whole] = v[whole] == np.floor(v[whole])
        text[whole] = v[whole].astype(np.int64).astype(str)
    return text


def _keyed_hashes(values: pd.Series, key: bytes) -> pd.Series:
    """The keyed hash of each value's string form, computed once per distinct value."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = [t.encode("utf-8") for t in _texts(uniques)]
    digests = np.array([*_hmac_sha256_hex(key, texts), None], dtype=object)
    # code -1 (a null) picks the trailing None, so nulls stay null
    return pd.Series(digests[codes], index=values.index, dtype=object)


def protect(frame: pd.DataFrame, pii: Mapping[str, Literal["hash", "drop"]],
            salt: bytes | str) -> pd.DataFrame:
    """A copy of ``frame`` with its PII columns hashed or dropped.

    Parameters
    ----------
    frame
        The features of one batch.
    pii
        Column name to action: ``"drop"`` removes the column, ``"hash"`` replaces each value by
        the first 32 hex characters of HMAC-SHA256(``salt``, ``str(value)``). Nulls stay null.
        Columns named here but absent from ``frame`` are ignored.
    salt
        The secret key, read from the environment variable named by ``privacy.hash_salt_env``
        (see :func:`salt_from_env`). Required, and non-empty, when any column is hashed.

    Notes
    -----
    The same value and salt always give the same hash, so drift statistics on a hashed column
    (category frequencies, distinct counts) are those of the raw column. Changing the salt
    changes every hash: past and future windows then no longer match. A whole float hashes as
    the integer it equals (``7.0`` as ``"7"``), so an integer id column hashes the same in a
    batch where a null made pandas store it as floats.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"email": ["a@x.org", None, "a@x.org"], "ssn": ["1", "2", "3"],
    ...                       "income": [1.0, 2.0, 3.0]})
    >>> out = protect(frame, {"email": "hash", "ssn": "drop"}, salt=b"s3cret")
    >>> list(out.columns)
    ['email', 'income']
    >>> out["email"][0] == out["email"][2], out["email"][1] is None, len(out["email"][0])
    (True, True, 32)
    """
    for column, action in pii.items():
        if action not in PII_ACTIONS:
            raise ParameterError.choice(f"privacy.pii_columns[{column!r}]", action, PII_ACTIONS)
    key = salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)
    hashed = [c for c, a in pii.items() if a == "hash" and c in frame.columns]
    if hashed and not key:
        raise ParameterError.invalid(
            "salt", salt, "a non-empty secret when columns are hashed (here: "
            f"{', '.join(map(repr, hashed))})",
            "An unsalted hash of an email or an id is reversed by hashing a list of candidates. "
            "Set the environment variable named by privacy.hash_salt_env (DRIFTLINE_PII_SALT by "
            "default) to a long random secret.")
    dropped = [c for c, a in pii.items() if a == "drop" and c in frame.columns]
    out = frame.drop(columns=dropped)
    for column in hashed:
        out[column] = _keyed_hashes(out[column], key)
    return out
