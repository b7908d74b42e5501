"""Each route as a description of its request (method, path, query, body) and of how its answer
is read, shared by the sync and the async client so that a route is written once."""
from __future__ import annotations

import array
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import quote

from . import models
from .models import Precedent

JSON = dict[str, Any]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    read: Callable[[Any], Any]
    params: dict[str, str] | None = None
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    files: dict[str, tuple[str | None, bytes, str]] | None = None
    #: The same request sent twice has the effect of once: it may be retried after a timeout or
    #: a 503. Anything else is retried only when the connection was never made.
    idempotent: bool = False
    #: The answer is not JSON (`/metrics`).
    text: bool = False


def segment(value: str) -> str:
    """A path segment: every character that is not unreserved is percent-encoded."""
    return quote(value, safe="")


def camel(name: str) -> str:
    """A keyword argument's name as the API's member (`decision_id` → `decisionId`)."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def compact(**members: Any) -> JSON:
    """A JSON body from keyword arguments, without the unset (None) ones."""
    return {camel(name): value for name, value in members.items() if value is not None}


def float32_bytes(vector: Sequence[float] | bytes) -> bytes:
    """Little-endian float32, as the binary routes take vectors."""
    if isinstance(vector, (bytes, bytearray, memoryview)):
        return bytes(vector)
    values = array.array("f", vector)
    if sys.byteorder != "little":
        values.byteswap()
    return values.tobytes()


def precedent_json(item: Precedent | JSON) -> JSON:
    return item.to_json() if isinstance(item, Precedent) else dict(item)


def time_text(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


# Routes, in openapi.yaml's order.

def health() -> Call:
    return Call("GET", "/v1/health", models.Health.from_json, idempotent=True)


def metrics() -> Call:
    return Call("GET", "/metrics", lambda text: text, idempotent=True, text=True)


def list_collections() -> Call:
    return Call("GET", "/v1/collections", lambda j: [models.Collection.from_json(c) for c in j["collections"]], idempotent=True)


def create_collection(name: str, **options: Any) -> Call:
    return Call("POST", "/v1/collections", models.Collection.from_json, json=compact(name=name, **options))


def get_collection(name: str, tenant: str | None) -> Call:
    return Call("GET", f"/v1/collections/{segment(name)}", models.Collection.from_json,
                params={"tenant": tenant} if tenant is not None else None, idempotent=True)


def add_precedents(collection: str, tenant: str, precedents: Iterable[Precedent | JSON], space_id: str | None) -> Call:
    body = compact(tenant=tenant, precedents=[precedent_json(p) for p in precedents], space_id=space_id)
    return Call("POST", f"/v1/collections/{segment(collection)}/precedents", models.AddResult.from_json, json=body)


def add_precedents_bulk(collection: str, tenant: str, precedents: Sequence[Precedent | JSON],
                        vectors: Iterable[Sequence[float]] | bytes, space_id: str | None) -> Call:
    items = [precedent_json(p) for p in precedents]
    if any("vector" in item for item in items):
        raise ValueError("in a bulk add the vectors go in `vectors`, not in the precedents")
    raw = vectors if isinstance(vectors, (bytes, bytearray)) else b"".join(float32_bytes(v) for v in vectors)
    body = json.dumps(compact(tenant=tenant, precedents=items, space_id=space_id)).encode()
    return Call("POST", f"/v1/collections/{segment(collection)}/precedents", models.AddResult.from_json,
                files={"precedents": (None, body, "application/json"),
                       "vectors": ("vectors", bytes(raw), "application/octet-stream")})


def _precedent_path(collection: str, id: str) -> str:
    return f"/v1/collections/{segment(collection)}/precedents/{segment(id)}"


def get_precedent(collection: str, tenant: str, id: str) -> Call:
    return Call("GET", _precedent_path(collection, id), models.Precedent.from_json, params={"tenant": tenant}, idempotent=True)


def update_precedent(collection: str, tenant: str, id: str, changes: JSON) -> Call:
    # Setting fields to given values twice leaves them as once.
    return Call("PATCH", _precedent_path(collection, id), models.Precedent.from_json, params={"tenant": tenant},
                json=changes, idempotent=True)


def delete_precedent(collection: str, tenant: str, id: str) -> Call:
    # A retried delete that finds the row gone answers 404; the row is deleted either way.
    return Call("DELETE", _precedent_path(collection, id), lambda _: None, params={"tenant": tenant}, idempotent=True)


def search(collection: str, tenant: str, options: JSON) -> Call:
    body = compact(tenant=tenant, **options)
    # A search is logged in the match log unless log is false: retrying one would log it twice.
    return Call("POST", f"/v1/collections/{segment(collection)}/search", models.SearchResponse.from_json, json=body,
                idempotent=body.get("log") is False)


def search_vector(collection: str, tenant: str, vector: Sequence[float] | bytes, options: JSON) -> Call:
    params = {"tenant": tenant}
    for key, value in compact(**options).items():
        params[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return Call("POST", f"/v1/collections/{segment(collection)}/search/binary", models.SearchResponse.from_json,
                params=params, content=float32_bytes(vector), content_type="application/octet-stream",
                idempotent=params.get("log") == "false")


def search_batch(collection: str, tenant: str, vectors: Iterable[Sequence[float]], options: JSON) -> Call:
    body = compact(tenant=tenant, vectors=[list(v) for v in vectors], **options)
    return Call("POST", f"/v1/collections/{segment(collection)}/search/batch",
                lambda j: [models.SearchResponse.from_json(r) for r in j["responses"]], json=body,
                idempotent=body.get("log") is False)


def suggest(collection: str, tenant: str, options: JSON) -> Call:
    body = compact(tenant=tenant, **options)
    return Call("POST", f"/v1/collections/{segment(collection)}/suggest", models.Suggestion.from_json, json=body,
                idempotent=body.get("log") is False)


def index_info(collection: str) -> Call:
    return Call("GET", f"/v1/collections/{segment(collection)}/index", models.IndexInfo.from_json, idempotent=True)


def train_index(collection: str, nlist: int | None, sample: int | None, target_recall: float | None) -> Call:
    return Call("POST", f"/v1/collections/{segment(collection)}/index/train", models.TrainingReport.from_json,
                json=compact(nlist=nlist, sample=sample, targetRecall=target_recall))


def reembed(collection: str, tenants: list[str] | None, stale: bool | None, embedder: str | None) -> Call:
    # Not resent after a lost answer: a second re-embedding would do the work again.
    return Call("POST", f"/v1/collections/{segment(collection)}/reembed", models.ReembedReport.from_json,
                json=compact(tenants=tenants, stale=stale, embedder=embedder))


def record_use(query_id: str, tenant: str, precedent_id: str, type: str, actor: str | None,
               decision_id: str | None, event_id: str | None) -> Call:
    body = compact(tenant=tenant, precedent_id=precedent_id, type=type, actor=actor, decision_id=decision_id,
                   event_id=event_id)
    # With an eventId the server records a use once however often it is sent.
    return Call("POST", f"/v1/matches/{segment(query_id)}/uses", models.UseReceipt.from_json, json=body,
                idempotent=event_id is not None)


def record_outcome(decision_id: str, tenant: str, was_successful: bool | None, outcome: str | None,
                   action: str | None, collection: str | None) -> Call:
    body = compact(tenant=tenant, outcome=outcome, action=action, collection=collection)
    body["wasSuccessful"] = was_successful  # required, null meaning unknown
    # Records or replaces: sent twice, the outcome is the same.
    return Call("POST", f"/v1/decisions/{segment(decision_id)}/outcome", models.OutcomeReceipt.from_json, json=body,
                idempotent=True)


def stats(tenant: str, collection: str, since: datetime | str | None, until: datetime | str | None,
          top: int | None) -> Call:
    params = {"tenant": tenant, "collection": collection}
    for key, value in (("since", time_text(since)), ("until", time_text(until)), ("top", top)):
        if value is not None:
            params[key] = str(value)
    return Call("GET", "/v1/stats", models.MatchStatistics.from_json, params=params, idempotent=True)
