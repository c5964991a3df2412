"""Artifact paths never leave the artifact root."""

from __future__ import annotations

import os

import pytest

from driftline.errors import ParameterError
from driftline.registry import safe_artifact_path, sha256_file


@pytest.mark.parametrize("bad", [
    "../x", "a/../../x", "a/..", "/etc/passwd", "C:/Windows", "a\\..\\x", "%2e%2e/x",
    "%252e%252e/x", "a/%2E%2E/%2E%2E/x", "", "a\x00b", "..",
])
def test_traversal_is_refused(tmp_path, bad):
    with pytest.raises(ParameterError, match="stays inside the artifact root"):
        safe_artifact_path(tmp_path, bad)


def test_normal_paths_resolve_inside(tmp_path):
    p = safe_artifact_path(tmp_path, "credit/v3/model.skops")
    assert p == tmp_path.resolve() / "credit" / "v3" / "model.skops"


def test_symlink_pointing_outside_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "link")
    with pytest.raises(ParameterError, match="symlink"):
        safe_artifact_path(root, "link/model.bin")
    (root / "inner").mkdir()
    os.symlink(root / "inner", root / "ok")
    assert safe_artifact_path(root, "ok/model.bin").parent == (root / "inner").resolve()


def test_sha256_detects_a_changed_file(tmp_path):
    f = tmp_path / "m.bin"
    f.write_bytes(b"model-bytes")
    before = sha256_file(f)
    f.write_bytes(b"model-bytez")
    assert sha256_file(f) != before and len(before) == 64
