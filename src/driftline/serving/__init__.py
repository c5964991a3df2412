"""Serving: the inference protocols, request validation, the prediction log writer, and the
routes the app mounts (Open Inference Protocol v2, records API, feedback, ingestion, admin).

Examples
--------
>>> from driftline.serving import decode_infer_request
>>> decode_infer_request({"inputs": [{"name": "x", "shape": [1], "datatype": "FP64",
...                                   "data": [1.5]}]}).frame.shape
(1, 1)
"""

from driftline.serving import _docs as docs_models
from driftline.serving._auth import ROLES, Tokens
from driftline.serving._ingest import log_frame, log_predictions, records_to_frame
from driftline.serving._log import LogMetrics, PredictionLog
from driftline.serving._oip import (
    DATATYPES,
    InferRequest,
    RequestError,
    decode_infer_request,
    encode_infer_response,
)
from driftline.serving._routes import ServingState, build_router, json_response
from driftline.serving._service import LoadedModel, ModelService

__all__ = [
    "DATATYPES",
    "ROLES",
    "InferRequest",
    "LoadedModel",
    "LogMetrics",
    "ModelService",
    "PredictionLog",
    "RequestError",
    "ServingState",
    "Tokens",
    "build_router",
    "decode_infer_request",
    "docs_models",
    "encode_infer_response",
    "json_response",
    "log_frame",
    "log_predictions",
    "records_to_frame",
]
