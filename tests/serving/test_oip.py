"""Open Inference Protocol v2: decoding requests (pandas codec) and encoding responses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from driftline.serving import RequestError, decode_infer_request, encode_infer_response


def col(name, datatype, data, shape=None):
    return {"name": name, "datatype": datatype, "shape": shape or [len(data)], "data": data}


def test_all_datatypes_decode_to_columns():
    body = {"inputs": [
        col("f", "FP32", [1.5, 2.5]), col("i", "INT64", [1, 2]), col("b", "BOOL", [True, False]),
        col("s", "BYTES", ["a", "b"], [2, 1]), col("nested", "FP64", [[0.5], [1.5]], [2, 1]),
    ]}
    frame = decode_infer_request(body).frame
    assert frame.drop(columns="s").dtypes.astype(str).to_dict() == {
        "f": "float32", "i": "int64", "b": "bool", "nested": "float64"}
    assert frame["s"].tolist() == ["a", "b"]  # object or pandas' str dtype, by version
    assert frame["nested"].tolist() == [0.5, 1.5]


@pytest.mark.parametrize("body, status, match", [
    ([], 422, "JSON object"),
    ({"inputs": []}, 422, "non-empty list"),
    ({"inputs": [col("x", "FP64", [1.0, float("nan")])]}, 422, "non-finite"),
    ({"inputs": [col("x", "FP64", [1.0, float("inf")])]}, 422, "non-finite"),
    ({"inputs": [col("x", "FP64", [1.0]), col("y", "FP64", [1.0, 2.0])]}, 422, "same number"),
    ({"inputs": [col("x", "FP64", [1.0]), col("x", "FP64", [2.0])]}, 422, "unique"),
    ({"inputs": [col("x", "FP128", [1.0])]}, 422, "datatype must be one of"),
    ({"inputs": [col("x", "FP64", [1.0], [1, 2])]}, 422, r"shape must be \[n\] or \[n, 1\]"),
    ({"inputs": [col("x", "FP64", [1.0, 2.0], [3])]}, 422, "has 2 values but shape"),
    ({"inputs": [col("x", "BYTES", [1])]}, 422, "must be strings"),
    ({"inputs": [col("x", "INT64", ["1"])]}, 422, "must be numbers"),
    ({"inputs": [col("x", "BOOL", [1])]}, 422, "true/false"),
    ({"inputs": [col("x", "INT8", [1000])]}, 422, "outside INT8"),
    ({"inputs": [{**col("x", "FP64", [1.0]), "parameters": {"binary_data_size": 8}}]}, 400,
     "binary-data extension is not supported"),
    ({"id": 5, "inputs": [col("x", "FP64", [1.0])]}, 422, "'id' must be a string"),
])
def test_invalid_requests_are_refused_with_a_status(body, status, match):
    with pytest.raises(RequestError, match=match) as info:
        decode_infer_request(body)
    assert info.value.status == status


def test_row_limit():
    body = {"inputs": [col("x", "FP64", [0.0] * 11)]}
    with pytest.raises(RequestError, match="more than the limit of 10") as info:
        decode_infer_request(body, max_rows=10)
    assert info.value.status == 422
    assert len(decode_infer_request(body, max_rows=11).frame) == 11


def test_response_is_json_and_follows_the_protocol():
    out = encode_infer_response("credit", "2", np.array([True, False]), request_id="abc",
                                scores=np.array([[0.3, 0.7], [0.6, 0.4]]), classes=[False, True])
    again = json.loads(json.dumps(out))
    assert again["id"] == "abc" and again["model_version"] == "2"
    predict, proba = again["outputs"]
    assert predict == {"name": "predict", "shape": [2, 1], "datatype": "BOOL",
                       "data": [True, False]}
    assert proba["shape"] == [2, 2] and proba["data"] == [0.3, 0.7, 0.6, 0.4]
    assert proba["parameters"]["classes"] == ["False", "True"]
    labels = encode_infer_response("m", "1", np.array(["a", "b"], dtype=object))
    assert labels["outputs"][0]["datatype"] == "BYTES" and "id" not in labels
