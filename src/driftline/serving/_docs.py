"""The shapes of request and response bodies, for the OpenAPI document (the handlers parse
bodies themselves, so these models only document them), and each model's request schema."""

from __future__ import annotations

from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ERRORS", "instance_schema"]

Scalar = Union[float, int, str, bool]  # noqa: UP007 - pydantic needs the runtime union on 3.10


class ErrorBody(BaseModel):
    """Every error: the problem, and the field it concerns (OIP's ``error`` key)."""

    error: str
    field: str | None


class Live(BaseModel):
    live: bool


class Ready(BaseModel):
    ready: bool
    models: dict[str, bool] = Field(default_factory=dict)
    error: str | None = None


class ModelReady(BaseModel):
    name: str
    ready: bool
    error: str | None = None


class TensorMeta(BaseModel):
    name: str
    datatype: str
    shape: list[int]


class ModelMetadata(BaseModel):
    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMeta]
    outputs: list[TensorMeta]


class InferOutput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[Scalar]
    parameters: dict[str, Any] | None = None


class InferResponse(BaseModel):
    model_name: str
    model_version: str
    id: str | None = None
    outputs: list[InferOutput]
    parameters: dict[str, Any] | None = None


class PredictResponse(BaseModel):
    model: str
    model_version: int
    ids: list[str]
    predictions: list[Scalar]
    scores: list[dict[str, float]] | None = None
    replayed: list[str] = Field(default_factory=list)


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=128)
    label: Scalar


class FeedbackBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feedback: list[FeedbackItem] = Field(min_length=1)


class Accepted(BaseModel):
    accepted: int


class LogRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, min_length=1, max_length=128)
    timestamp: str | None = None
    features: dict[str, Scalar | None]
    prediction: Scalar
    scores: dict[str, float] | None = None
    model_version: int | None = Field(None, ge=0, le=2**31 - 1)


class LogBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    records: list[LogRecord] = Field(min_length=1)


class Logged(BaseModel):
    ids: list[str]
    written: int
    replayed: list[str]


class StageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    reason: str | None = Field(None, max_length=200)


class PromoteBody(StageBody):
    force: bool = False


class StageResult(BaseModel):
    model: str
    version: int
    stage: str
    previous: int | None


class RetrainBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=200)


class RetrainRecorded(BaseModel):
    status: str
    event_id: int


_STATUS_TEXT = {
    400: "Malformed JSON.",
    401: "No token, or a token that is not valid.",
    403: "A valid token without the role this endpoint needs.",
    404: "Unknown model (or version).",
    409: "An id logged before with another payload, or a version that cannot be promoted.",
    413: "The body is larger than limits.max_body_bytes.",
    415: "The body is not JSON.",
    422: "The body does not match the model's schema, holds non-finite numbers or too many rows.",
    503: "No champion loaded, or the prediction could not be logged.",
}


def ERRORS(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error responses of a route.

    Examples
    --------
    >>> sorted(ERRORS(404, 422))
    [404, 422]
    """
    return {c: {"model": ErrorBody, "description": _STATUS_TEXT[c]} for c in codes}


_JSON_TYPE = {"number": {"type": "number"}, "boolean": {"type": "boolean"},
              "string": {"type": "string"}}


def instance_schema(inputs: dict[str, str] | None, *, nullable: bool = False) -> dict[str, Any]:
    """The JSON schema of one row for a model with these inputs (any object if unknown);
    ``nullable`` lets every feature be null (logged rows may have missing values).

    Examples
    --------
    >>> instance_schema({"x": "number"})["required"]
    ['x']
    """
    if not inputs:
        return {"type": "object"}
    return {"type": "object", "additionalProperties": False, "required": list(inputs),
            "properties": {n: _property(t + "?" if nullable and not t.endswith("?") else t)
                           for n, t in inputs.items()}}


def _property(kind: str) -> dict[str, Any]:
    base = _JSON_TYPE[kind.rstrip("?") or "number"]
    return {"anyOf": [base, {"type": "null"}]} if kind.endswith("?") else dict(base)
