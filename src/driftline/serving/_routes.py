"""The serving routes: Open Inference Protocol v2, the records API, feedback, logging for
models served elsewhere, and the admin endpoints. The app (surface layer) mounts them.

Each served model gets its own literal paths, so the OpenAPI document carries that model's
exact request schema; a path naming any other model answers 404 with a JSON body.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from driftline.serving import _docs as docs
from driftline.serving._body import check_content_type, parse_json
from driftline.serving._oip import RequestError, decode_columns, encode_infer_response
from driftline.serving._service import LoadedModel, ModelService, new_ids
from driftline.serving._validate import check_columns, records_columns, row_count

if TYPE_CHECKING:
    import pandas as pd
    from fastapi import APIRouter
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["ServingState", "build_router", "json_response"]

_OIP_PREFIX = "/v2/models"
_V1_PREFIX = "/v1/models"


@dataclass
class ServingState:
    """What the routes serve: the models by name and the metrics sink.

    Examples
    --------
    >>> ServingState({}).service("credit")
    Traceback (most recent call last):
    ...
    driftline.serving._oip.RequestError: no model named 'credit' is served here.
    """

    services: dict[str, ModelService]
    metrics: Any = None
    write_timeout_s: float = 10.0

    def service(self, name: str) -> ModelService:
        """The served model ``name``, or 404."""
        svc = self.services.get(name)
        if svc is None:
            raise RequestError(404, f"no model named {name[:64]!r} is served here.",
                               field="name")
        return svc


def json_response(content: Any, status: int = 200) -> Response:
    """A JSON response rendered with orjson (numpy scalars and arrays allowed).

    Examples
    --------
    >>> import numpy as np
    >>> json_response({"p": np.array([0.5])}, 201).body
    b'{"p":[0.5]}'
    """
    import orjson
    from starlette.responses import Response

    return Response(orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY), status,
                    media_type="application/json")


async def read_json(request: Request, limit: int, *, allow_empty: bool = False) -> Any:
    """The body as JSON, after the content-type (415) and size (413) checks."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise RequestError(413, f"the body is {length} bytes; the limit is {limit} "
                                "(limits.max_body_bytes).", field="body")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"the body is larger than the limit of {limit} bytes "
                                    "(limits.max_body_bytes).", field="body")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body and allow_empty:
        return {}
    check_content_type(request.headers.get("content-type"))
    return parse_json(body)


def _object(body: Any, allowed: set[str], what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RequestError(422, f"the body must be a JSON object ({what}); got "
                                f"{type(body).__name__}.", field="body")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RequestError(422, f"unknown field {unknown[0][:60]!r}; allowed: "
                                f"{', '.join(sorted(allowed))}.", field=unknown[0][:60])
    return body


def _ids(value: Any, n: int, field: str) -> list[str] | None:
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != n
            or not all(isinstance(i, str) and 0 < len(i) <= 128 for i in value)):
        raise RequestError(422, f"{field} must be a list of {n} strings of 1-128 characters, one "
                                "per row.", field=field)
    if len(set(value)) != n:
        raise RequestError(422, f"{field} repeats an id; ids must be unique.", field=field)
    return value


def row_hashes(columns: dict[str, np.ndarray]) -> list[str]:
    """A digest of each row's values, to tell a replay from a conflicting reuse of an id."""
    import orjson

    rows = zip(*[col.tolist() for col in columns.values()], strict=True)
    return [hashlib.blake2b(orjson.dumps(row), digest_size=16).hexdigest() for row in rows]


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


@dataclass
class Served:
    """The outcome of one prediction request, ready to encode."""

    loaded: LoadedModel
    ids: list[str]
    predicted: np.ndarray
    proba: np.ndarray | None
    replayed: list[str]


async def serve_rows(state: ServingState, svc: ModelService, loaded: LoadedModel,
                     columns: dict[str, np.ndarray], ids: list[str] | None) -> Served:
    """Predict, log and (in durable mode) wait for the commit. Client ids already logged
    with the same rows are answered from the log without predicting again."""
    import pandas as pd

    started = time.perf_counter()
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame(columns, copy=False)
    if ids is None:
        ids_out, hashes, fresh = new_ids(n), [""] * n, None
        stored = None
    else:
        ids_out, hashes = ids, row_hashes(columns)
        stored = await asyncio.to_thread(svc.registry.store.get_predictions, svc.name, ids)
        fresh = _replays(stored, ids, hashes)
    if fresh is None or fresh.all():
        predicted, proba = loaded.predict(frame)
        replayed: list[str] = []
    else:
        predicted, proba, replayed = _merge_replay(loaded, frame, ids_out, fresh, stored)
    todo = np.ones(n, dtype=bool) if fresh is None else fresh
    if todo.any():
        latency_ms = (time.perf_counter() - started) * 1000.0
        if todo.all():
            batch = svc.pending(loaded, columns, predicted, proba, ids_out, hashes, latency_ms)
        else:
            batch = svc.pending(loaded, {k: v[todo] for k, v in columns.items()}, predicted[todo],
                                None if proba is None else proba[todo],
                                [i for i, t in zip(ids_out, todo, strict=True) if t],
                                [h for h, t in zip(hashes, todo, strict=True) if t], latency_ms)
        await _log(state, svc, batch)
        if state.metrics is not None:
            state.metrics.predictions(svc.name, str(loaded.number), int(todo.sum()))
    return Served(loaded, ids_out, predicted, proba, replayed)


def _replays(stored: pd.DataFrame, ids: list[str], hashes: list[str]) -> np.ndarray:
    known = dict(zip(stored["id"], stored["payload_hash"], strict=True)) if len(stored) else {}
    for i, h in zip(ids, hashes, strict=True):
        if i in known and known[i] != h:
            raise RequestError(409, f"id {i[:64]!r} was logged before with different values; "
                                    "use a new id.", field="ids")
    return np.array([i not in known for i in ids])


def _merge_replay(loaded: LoadedModel, frame: pd.DataFrame, ids: list[str], fresh: np.ndarray,
                  stored: Any) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    by_id = stored.set_index("id")
    old = by_id.loc[[i for i, f in zip(ids, fresh, strict=True) if not f]]
    score_cols = [f"score_{c}" for c in loaded.classes] if loaded.classes is not None else []
    have_scores = all(c in old.columns for c in score_cols) and score_cols
    n = len(ids)
    predicted = np.empty(n, dtype=object)
    proba = np.zeros((n, len(score_cols))) if have_scores else None
    predicted[~fresh] = old["prediction"].to_numpy()
    if proba is not None:
        proba[~fresh] = old[score_cols].to_numpy(dtype=np.float64)
    if fresh.any():
        p_new, pr_new = loaded.predict(frame[fresh])
        predicted[fresh] = p_new
        if proba is not None and pr_new is not None:
            proba[fresh] = pr_new
    kind = np.asarray(old["prediction"].to_numpy()).dtype
    if kind.kind in "biuf":
        predicted = predicted.astype(kind)
    return predicted, proba, [i for i, f in zip(ids, fresh, strict=True) if not f]


async def _log(state: ServingState, svc: ModelService, batch: Any) -> None:
    waiter = svc.log.submit_async(svc.name, batch)
    if waiter is None:
        return
    try:
        if sys.version_info >= (3, 11):  # no extra task per request
            async with asyncio.timeout(state.write_timeout_s):
                await waiter
        else:  # pragma: no cover
            await asyncio.wait_for(waiter, state.write_timeout_s)
    except (asyncio.TimeoutError, TimeoutError):
        if state.metrics is not None:
            state.metrics.log_dropped(svc.name, len(batch.ids), "timeout")
        raise RequestError(503, "the prediction could not be logged in time; it was not "
                                "acknowledged. Retry with the same ids.", field=None) from None
    except Exception:
        raise RequestError(503, "the prediction could not be logged (the store refused the "
                                "write); it was not acknowledged. Retry with the same ids.",
                           field=None) from None


def _loaded(svc: ModelService) -> LoadedModel:
    loaded = svc.current
    if loaded is None:
        raise RequestError(503, f"model {svc.name!r} has no champion loaded "
                                f"({svc.load_error or 'not loaded yet'}).", field=None)
    return loaded


def _scores_records(proba: np.ndarray | None, classes: Any) -> list[dict[str, float]] | None:
    if proba is None or classes is None:
        return None
    keys = [str(c) for c in classes]
    return [dict(zip(keys, row, strict=True)) for row in proba.tolist()]


Handler = Callable[["Request", ModelService], Awaitable[Any]]


def build_router(state: ServingState) -> APIRouter:
    """The routes for every served model, plus the 404 routes for unknown names.

    Examples
    --------
    >>> router = build_router(ServingState({}))
    >>> sorted(r.path for r in router.routes)[:2]
    ['/v1/models/{name}/feedback', '/v1/models/{name}/log']
    """
    from fastapi import APIRouter
    from starlette.requests import Request as _Request

    router = APIRouter()

    def endpoint(role: str | None, fn: Handler, name: str | None) -> Callable[..., Any]:
        async def run(request: Request) -> Response:
            # the catch-all route (name None) answers 404 for an unknown model
            svc = state.services[name] if name else state.service(
                request.path_params.get("name", ""))
            if role is not None:
                svc.tokens.check(role, request.headers.get("authorization"))
            result = await fn(request, svc)
            if isinstance(result, tuple):
                return json_response(result[1], result[0])
            return json_response(result)
        run.__annotations__["request"] = _Request  # FastAPI resolves it at runtime
        return run

    # -- handlers -----------------------------------------------------------------------
    async def metadata(request: Request, svc: ModelService) -> Any:
        loaded = svc.current
        inputs = {} if loaded is None else loaded.inputs
        dtype = {"number": "FP64", "boolean": "BOOL", "string": "BYTES"}
        outs = [{"name": "predict", "datatype": "BYTES" if svc.task != "regression" else "FP64",
                 "shape": [-1, 1]}]
        if loaded is not None and loaded.classes is not None:
            outs.append({"name": "predict_proba", "datatype": "FP64",
                         "shape": [-1, len(loaded.classes)]})
        versions = [] if loaded is None else [str(loaded.number)]
        return {"name": svc.name, "versions": versions, "platform": "driftline",
                "inputs": [{"name": k, "datatype": dtype.get(v.rstrip("?"), "FP64"), "shape": [-1]}
                           for k, v in inputs.items()],
                "outputs": outs}

    async def model_ready(request: Request, svc: ModelService) -> Any:
        if svc.ready:
            return {"name": svc.name, "ready": True}
        return 503, {"name": svc.name, "ready": False, "error": svc.load_error}

    async def infer(request: Request, svc: ModelService) -> Any:
        body = await read_json(request, svc.project.config.limits.max_body_bytes)
        loaded = _loaded(svc)
        rid, decoded = decode_columns(body, max_rows=svc.max_rows)
        params = body.get("parameters") or {}
        ids = _ids(params.get("ids") if isinstance(params, dict) else None,
                   len(next(iter(decoded.values()))), "parameters.ids")
        columns = check_columns(decoded, loaded.inputs)
        served = await serve_rows(state, svc, loaded, columns, ids)
        out = encode_infer_response(svc.name, str(served.loaded.number), served.predicted,
                                    request_id=rid, scores=served.proba,
                                    classes=served.loaded.classes)
        out["parameters"] = {"ids": served.ids}
        return out

    async def predict(request: Request, svc: ModelService) -> Any:
        body = _object(await read_json(request, svc.project.config.limits.max_body_bytes),
                       {"instances", "ids"}, "with 'instances'")
        loaded = _loaded(svc)
        n = row_count(body.get("instances"), "instances", svc.max_rows)
        columns = records_columns(body["instances"], loaded.inputs)
        served = await serve_rows(state, svc, loaded, columns, _ids(body.get("ids"), n, "ids"))
        return {"model": svc.name, "model_version": served.loaded.number, "ids": served.ids,
                "predictions": [_plain(v) for v in served.predicted.tolist()],
                "scores": _scores_records(served.proba, served.loaded.classes),
                "replayed": served.replayed}

    async def feedback(request: Request, svc: ModelService) -> Any:
        body = await read_json(request, svc.project.config.limits.max_body_bytes)
        items = _feedback_items(body, svc.max_rows)
        await asyncio.to_thread(svc.registry.store.add_feedback, svc.name,
                                [i for i, _ in items], [v for _, v in items])
        if state.metrics is not None:
            state.metrics.feedback(svc.name, len(items))
        return {"accepted": len(items)}

    async def log(request: Request, svc: ModelService) -> Any:
        from driftline.serving._ingest import log_frame, records_to_frame

        body = _object(await read_json(request, svc.project.config.limits.max_body_bytes),
                       {"records"}, "with 'records'")
        features = None if svc.current is None else list(svc.current.inputs)
        frame = records_to_frame(body.get("records"), svc.max_rows, features)
        try:
            res = await asyncio.to_thread(log_frame, svc.registry, svc.name, frame, pii=svc.pii,
                                          salt=svc.salt)
        except RequestError:
            raise
        except Exception as exc:
            from driftline.store import ConflictError

            if isinstance(exc, ConflictError):
                raise RequestError(409, str(exc), field="records[].id") from None
            raise
        if state.metrics is not None:
            state.metrics.ingested(svc.name, res.n_written)
        return {"ids": list(res.ids), "written": res.n_written, "replayed": list(res.replayed)}

    def stage_change(action: str) -> Handler:
        async def change(request: Request, svc: ModelService) -> Any:
            allowed = {"version", "reason", "force"} if action == "promote" else {"version",
                                                                                   "reason"}
            body = _object(await read_json(request, 64 * 1024, allow_empty=True), allowed,
                           "with optional 'version' and 'reason'")
            version = _version_field(body.get("version"))
            force = body.get("force", False)
            if not isinstance(force, bool):
                raise RequestError(422, "force must be true or false.", field="force")
            reason = (body.get("reason") or "") if force else _reason(
                body.get("reason"), f"{action} through the admin API")
            if force and not (isinstance(reason, str) and reason.strip()):
                raise RequestError(422, "force needs a reason (recorded with the decision).",
                                   field="reason")
            if force:
                _reason(reason, "")
            previous = None if svc.current is None else svc.current.number
            loaded = await asyncio.to_thread(svc.swap_to, version, action=action, reason=reason,
                                             force=force)
            if state.metrics is not None:
                state.metrics.add_model(svc.name, str(loaded.number), "champion")
            return {"model": svc.name, "version": loaded.number, "stage": "champion",
                    "previous": previous}
        return change

    async def retrain(request: Request, svc: ModelService) -> Any:
        body = _object(await read_json(request, 64 * 1024, allow_empty=True), {"reason"},
                       "with an optional 'reason'")
        reason = _reason(body.get("reason"), "requested through the admin API")
        event = await asyncio.to_thread(svc.registry.store.add_event, svc.name,
                                        "retrain_requested", {"reason": reason})
        return 202, {"status": "recorded", "event_id": event}

    # -- routes ---------------------------------------------------------------------------
    E = docs.ERRORS
    table: list[tuple[str, str, str, str | None, Handler, Any, dict[Any, Any], Any]] = [
        # (method, path, endpoint label, role, handler, response model, errors, request model)
        ("GET", f"{_OIP_PREFIX}/{{m}}", "metadata", "predict", metadata, docs.ModelMetadata,
         E(401, 403, 404), None),
        ("GET", f"{_OIP_PREFIX}/{{m}}/ready", "model_ready", None, model_ready, docs.ModelReady,
         {**E(404), 503: {"model": docs.ModelReady, "description": "Not ready."}}, None),
        ("POST", f"{_OIP_PREFIX}/{{m}}/infer", "infer", "predict", infer, docs.InferResponse,
         E(400, 401, 403, 404, 409, 413, 415, 422, 503), "infer"),
        ("POST", f"{_V1_PREFIX}/{{m}}/predict", "predict", "predict", predict,
         docs.PredictResponse, E(400, 401, 403, 404, 409, 413, 415, 422, 503), "predict"),
        ("POST", f"{_V1_PREFIX}/{{m}}/feedback", "feedback", "predict", feedback, docs.Accepted,
         E(400, 401, 403, 404, 413, 415, 422), "feedback"),
        ("POST", f"{_V1_PREFIX}/{{m}}/log", "log", "predict", log, docs.Logged,
         E(400, 401, 403, 404, 409, 413, 415, 422), "log"),
        ("POST", f"{_V1_PREFIX}/{{m}}/promote", "promote", "admin", stage_change("promote"),
         docs.StageResult, E(400, 401, 403, 404, 409, 413, 415, 422), "promote"),
        ("POST", f"{_V1_PREFIX}/{{m}}/rollback", "rollback", "admin", stage_change("rollback"),
         docs.StageResult, E(400, 401, 403, 404, 409, 413, 415, 422), "stage"),
        ("POST", f"{_V1_PREFIX}/{{m}}/retrain", "retrain", "admin", retrain,
         docs.RetrainRecorded, E(400, 401, 403, 404, 413, 415, 422), "retrain"),
    ]
    for method, path, label, role, fn, model, errors, body_kind in table:
        for name in sorted(state.services):
            status = 202 if label == "retrain" else 200
            router.add_api_route(
                path.replace("{m}", name), endpoint(role, fn, name), methods=[method],
                name=f"{label}:{name}", response_model=model, status_code=status,
                responses=errors, openapi_extra=_request_doc(body_kind, state.services[name]),
                summary=f"{label.replace('_', ' ')} ({name})", tags=[name])
        router.add_api_route(path.replace("{m}", "{name}"), endpoint(role, fn, None),
                             methods=[method], name=f"{label}:*", include_in_schema=False)
    return router


def _version_field(value: Any) -> int | None:
    """A version number: a positive integer (JSON may write it as 3.0)."""
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or value != int(value) or not 1 <= value <= _MAX_VERSION):
        raise RequestError(422, f"version must be an integer from 1 to {_MAX_VERSION}.",
                           field="version")
    return int(value)


def _reason(value: Any, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > 200:
        raise RequestError(422, "reason must be a string of at most 200 characters.",
                           field="reason")
    return value or default


_MAX_VERSION = 2**31 - 1


def _feedback_items(body: Any, max_rows: int) -> list[tuple[str, Any]]:
    if isinstance(body, dict) and "feedback" in body:
        _object(body, {"feedback"}, "with 'feedback'")
        raw = body["feedback"]
        row_count(raw, "feedback", max_rows)
        where = "feedback"
    else:
        raw, where = [body], None
    items = []
    for k, item in enumerate(raw):
        at = f"{where}[{k}]" if where else "body"
        if not isinstance(item, dict) or set(item) != {"id", "label"}:
            raise RequestError(422, f"{at} must be an object with exactly 'id' and 'label'.",
                               field=at)
        i, label = item["id"], item["label"]
        if not isinstance(i, str) or not 0 < len(i) <= 128:
            raise RequestError(422, f"{at}.id must be a string of 1-128 characters.",
                               field=f"{at}.id")
        ok = isinstance(label, (str, bool)) or (
            isinstance(label, (int, float)) and np.isfinite(label))
        if not ok:
            raise RequestError(422, f"{at}.label must be a finite number, a string or a "
                                    "boolean.", field=f"{at}.label")
        items.append((i, label))
    return list(dict(items).items())  # a repeated id: the last label wins, as in the store


def _request_doc(kind: str | None, svc: ModelService) -> dict[str, Any] | None:
    if kind is None:
        return None
    if kind == "predict":
        inputs = None if svc.current is None else svc.current.inputs
        schema: dict[str, Any] = {
            "type": "object", "additionalProperties": False, "required": ["instances"],
            "properties": {
                "instances": {"type": "array", "minItems": 1, "maxItems": svc.max_rows,
                              "items": docs.instance_schema(inputs)},
                "ids": {"anyOf": [{"type": "null"}, {
                    "type": "array", "minItems": 1, "maxItems": svc.max_rows, "uniqueItems": True,
                    "items": {"type": "string", "minLength": 1, "maxLength": 128}}]}}}
    elif kind == "infer":
        schema = {"type": "object", "required": ["inputs"], "properties": {
            "id": {"type": "string"},
            "parameters": {"type": "object"},
            "inputs": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["name", "shape", "datatype", "data"],
                "properties": {"name": {"type": "string", "minLength": 1},
                               "shape": {"type": "array", "minItems": 1, "maxItems": 2,
                                         "items": {"type": "integer", "minimum": 0}},
                               "datatype": {"type": "string", "enum": sorted(
                                   ["BOOL", "INT64", "FP64", "BYTES", "FP32", "INT32"])},
                               "data": {"type": "array"}}}}}}
    else:
        model = {"feedback": docs.FeedbackBatch, "log": docs.LogBody, "stage": docs.StageBody,
                 "promote": docs.PromoteBody, "retrain": docs.RetrainBody}[kind]
        schema = _inline(model.model_json_schema())
        if kind == "log":  # the features of each record follow the model's row schema
            inputs = None if svc.current is None else svc.current.inputs
            record = schema["properties"]["records"]["items"]
            record["properties"]["features"] = docs.instance_schema(inputs, nullable=True)
            record["properties"]["timestamp"] = {"anyOf": [
                {"type": "string", "format": "date-time"}, {"type": "null"}]}
            schema["properties"]["records"]["maxItems"] = svc.max_rows
        if kind == "feedback":
            schema = {"anyOf": [_inline(docs.FeedbackItem.model_json_schema()), schema]}
    return {"requestBody": {"required": kind not in ("stage", "promote", "retrain"),
                            "content": {"application/json": {"schema": schema}}}}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """Resolve pydantic's local ``$defs`` references (the OpenAPI document has no $defs)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.rsplit("/", 1)[1]]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)
