"""Serving: the inference protocols and, in coming releases, the routers and the log.

Examples
--------
>>> from driftline.serving import decode_infer_request
>>> decode_infer_request({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64",
...                                   "data": [1.5]}]}).frame.shape
(1, 1)
"""

from driftline.serving._oip import (
    DATATYPES,
    InferRequest,
    RequestError,
    decode_infer_request,
    encode_infer_response,
)

__all__ = ["DATATYPES", "InferRequest", "RequestError", "decode_infer_request",
           "encode_infer_response"]
