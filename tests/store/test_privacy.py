"""PII columns: hashed with a secret key or dropped before anything reaches the store."""

from __future__ import annotations

import hmac
import io
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from driftline.errors import ConfigError, ParameterError
from driftline.store import Store
from driftline.store._privacy import protect, salt_from_env
from driftline.store._tables import batches

EMAILS = ["alice@example.org", "bob@example.org", None, "alice@example.org"]


def frame():
    return pd.DataFrame({"email": EMAILS, "ssn": ["111-22-3333", "222-33-4444", "x", "y"],
                         "income": [1.0, 2.0, 3.0, 4.0]})


def test_hash_is_a_keyed_hmac_stable_per_salt():
    one = protect(frame(), {"email": "hash"}, b"salt-1")
    again = protect(frame(), {"email": "hash"}, b"salt-1")
    other = protect(frame(), {"email": "hash"}, b"salt-2")
    assert one["email"].tolist() == again["email"].tolist()
    assert one["email"][0] == one["email"][3] != one["email"][1]
    assert one["email"][0] != other["email"][0] and one["email"][1] != other["email"][1]
    assert one["email"][0] == hmac.new(b"salt-1", b"alice@example.org", "sha256").hexdigest()[:32]
    raw = {e for e in EMAILS if e}
    assert not raw & set(one["email"]) and not raw & set(other["email"])
    assert one["email"][2] is None  # nulls stay null
    assert one["ssn"].tolist() == frame()["ssn"].tolist()  # columns not named are untouched


@pytest.mark.parametrize("key", [b"k", b"k" * 64, b"k" * 200], ids=["short", "block", "long"])
def test_hash_matches_the_standard_hmac_for_any_key_length(key):
    out = protect(pd.DataFrame({"v": ["a", "é", ""]}), {"v": "hash"}, key)
    assert out["v"].tolist() == [hmac.new(key, s.encode(), "sha256").hexdigest()[:32]
                                 for s in ["a", "é", ""]]


def test_a_whole_float_hashes_like_the_integer():
    ints = protect(pd.DataFrame({"id": [7, 8]}), {"id": "hash"}, b"s")["id"]
    floats = protect(pd.DataFrame({"id": [7.0, None, 8.5]}), {"id": "hash"}, b"s")["id"]
    assert floats[0] == ints[0] and floats[1] is None and floats[2] not in set(ints)


def test_drop_removes_the_column_and_the_input_is_not_changed():
    original = frame()
    out = protect(original, {"ssn": "drop", "email": "hash", "missing": "drop"}, b"s")
    assert list(out.columns) == ["email", "income"]
    assert original.equals(frame())


def test_an_empty_salt_is_refused_when_hashing():
    with pytest.raises(ParameterError, match=r"salt must be a non-empty secret.*'email'.*"
                                             r"reversed.*privacy\.hash_salt_env"):
        protect(frame(), {"email": "hash"}, b"")
    assert list(protect(frame(), {"ssn": "drop"}, b"").columns) == ["email", "income"]


def test_an_unknown_action_names_the_column_and_the_choices():
    with pytest.raises(ParameterError, match=r"privacy.pii_columns\['email'\] must be one of "
                                             r"'hash', 'drop'; got 'mask'"):
        protect(frame(), {"email": "mask"}, b"s")  # type: ignore[dict-item]


def test_salt_from_env(monkeypatch):
    monkeypatch.delenv("DL_TEST_SALT", raising=False)
    with pytest.raises(ConfigError, match="DL_TEST_SALT"):
        salt_from_env("DL_TEST_SALT")
    monkeypatch.setenv("DL_TEST_SALT", "pepper")
    assert salt_from_env("DL_TEST_SALT") == b"pepper"


def test_hashing_100k_values_is_fast():
    values = pd.DataFrame({"email": [f"user{i}@example.org" for i in range(100_000)]})
    start = time.perf_counter()
    out = protect(values, {"email": "hash"}, b"s")
    assert time.perf_counter() - start < 1.0
    assert out["email"].nunique() == 100_000


def test_protected_values_never_reach_the_store(store_url):
    store = Store.open(store_url)
    store.add_model("m", "binary")
    safe = protect(frame(), {"email": "hash", "ssn": "drop"}, b"salt")
    store.log_predictions("m", safe, predictions=np.zeros(4), version=1, ids=list("abcd"))
    with store.engine.connect() as conn:
        blob = bytes(conn.execute(sa.select(batches.c.data)).scalar_one())
    table = pa.ipc.open_stream(io.BytesIO(blob)).read_all()
    assert "ssn" not in table.column_names
    assert table["email"].to_pylist() == safe["email"].tolist()
    for raw in (b"alice@example.org", b"bob@example.org", b"111-22-3333", b"ssn"):
        assert raw not in blob
    back = store.read_window("m")["email"]
    assert back.isna().tolist() == [False, False, True, False]
    assert back.dropna().tolist() == safe["email"].dropna().tolist()
