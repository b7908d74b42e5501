"""CasebookClient (sync) and AsyncCasebookClient (async): every route of the socket API, over
the Unix socket (`socket=`) or TCP (`url=`).

Retries: a request whose connection could not be made is retried whatever it is (nothing was
sent). After a timeout, a dropped connection or a 503 (the database unavailable), only requests
that do the same when sent twice are retried: reads, PATCH, DELETE, outcomes, uses with an
`event_id`, and searches with `log=False` (a logged search would be logged twice). Adds and
training are never resent.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from datetime import datetime
from typing import Any, Iterable, Sequence

import httpx

from . import _calls as calls
from .errors import CasebookError, error_from_response
from .models import (
    AddResult, Collection, Health, IndexInfo, MatchStatistics, OutcomeReceipt, Precedent, ReembedReport,
    SearchResponse, Suggestion, TrainingReport, UseReceipt,
)

JSON = dict[str, Any]
_BASE = "http://casebook"


class _API:
    """The routes, written once: each method builds its call and hands it to `_run`, which the
    sync client runs and the async client awaits (so there, every method returns an awaitable)."""

    def _run(self, call: calls.Call) -> Any:  # pragma: no cover - replaced by each client
        raise NotImplementedError

    def health(self) -> Health:
        return self._run(calls.health())

    def metrics(self) -> str:
        """The Prometheus text of `GET /metrics`."""
        return self._run(calls.metrics())

    def list_collections(self) -> list[Collection]:
        return self._run(calls.list_collections())

    def create_collection(
        self, name: str, *, dim: int | None = None, metric: str | None = None, embedder: str | None = None,
        space_id: str | None = None, index: str | None = None, nlist: int | None = None, nprobe: int | None = None,
        flat_threshold: int | None = None, pca: int | None = None, query_weighting: str | None = None,
        companion_dim: int | None = None,
    ) -> Collection:
        return self._run(calls.create_collection(
            name, dim=dim, metric=metric, embedder=embedder, space_id=space_id, index=index, nlist=nlist, nprobe=nprobe,
            flat_threshold=flat_threshold, pca=pca, query_weighting=query_weighting, companion_dim=companion_dim))

    def get_collection(self, name: str, *, tenant: str | None = None) -> Collection:
        """A collection; with `tenant`, that tenant's precedent count in `count`."""
        return self._run(calls.get_collection(name, tenant))

    def add_precedents(
        self, collection: str, tenant: str, precedents: Iterable[Precedent | JSON], *, space_id: str | None = None,
    ) -> AddResult:
        """Adds a batch (at most 100,000), all or none."""
        return self._run(calls.add_precedents(collection, tenant, precedents, space_id))

    def add_precedents_bulk(
        self, collection: str, tenant: str, precedents: Sequence[Precedent | JSON],
        vectors: Iterable[Sequence[float]] | bytes, *, space_id: str | None = None,
    ) -> AddResult:
        """Adds a batch with its external vectors sent as raw float32 (the multipart form):
        `vectors` holds one vector per precedent, in order, or their little-endian float32 bytes."""
        return self._run(calls.add_precedents_bulk(collection, tenant, precedents, vectors, space_id))

    def get_precedent(self, collection: str, tenant: str, id: str) -> Precedent:
        return self._run(calls.get_precedent(collection, tenant, id))

    def update_precedent(self, collection: str, tenant: str, id: str, **changes: Any) -> Precedent:
        """Changes the named fields (`outcome="delivered"`, `was_successful=True`; None clears an
        optional one); text and context are re-embedded."""
        body = {calls.camel(name): value for name, value in changes.items()}
        if "createdAt" in body:
            body["createdAt"] = calls.time_text(body["createdAt"])
        return self._run(calls.update_precedent(collection, tenant, id, body))

    def delete_precedent(self, collection: str, tenant: str, id: str) -> None:
        return self._run(calls.delete_precedent(collection, tenant, id))

    def search(
        self, collection: str, tenant: str, *, vector: Sequence[float] | None = None, text: str | None = None,
        context: JSON | None = None, k: int | None = None, filter: JSON | None = None, nprobe: int | None = None,
        exact: bool | None = None, explain: bool | None = None, include_precedents: bool | None = None,
        actor: str | None = None, decision_id: str | None = None, log: bool | None = None,
        space_id: str | None = None, lexical_weight: float | None = None, rerank: bool | JSON | None = None,
    ) -> SearchResponse:
        """The tenant's k most similar precedents to a vector, or to text and context."""
        return self._run(calls.search(collection, tenant, dict(
            vector=list(vector) if vector is not None else None, text=text, context=context, k=k,
            filter=filter, nprobe=nprobe, exact=exact, explain=explain,
            include_precedents=include_precedents, actor=actor, decision_id=decision_id, log=log, space_id=space_id,
            lexical_weight=lexical_weight, rerank=rerank)))

    def search_vector(
        self, collection: str, tenant: str, vector: Sequence[float] | bytes, *, k: int | None = None,
        nprobe: int | None = None, exact: bool | None = None, include_precedents: bool | None = None,
        actor: str | None = None, decision_id: str | None = None, log: bool | None = None,
        space_id: str | None = None,
    ) -> SearchResponse:
        """A vector search with the vector sent as raw float32 (no JSON to parse on the server)."""
        return self._run(calls.search_vector(collection, tenant, vector, dict(
            k=k, nprobe=nprobe, exact=exact, include_precedents=include_precedents, actor=actor,
            decision_id=decision_id, log=log, space_id=space_id)))

    def search_batch(
        self, collection: str, tenant: str, vectors: Iterable[Sequence[float]], *, k: int | None = None,
        filter: JSON | None = None, nprobe: int | None = None, exact: bool | None = None,
        include_precedents: bool | None = None, actor: str | None = None, decision_id: str | None = None,
        log: bool | None = None, space_id: str | None = None,
    ) -> list[SearchResponse]:
        """Many query vectors (at most 10,000) with one filter, answered together, in order."""
        return self._run(calls.search_batch(collection, tenant, vectors, dict(
            k=k, filter=filter, nprobe=nprobe, exact=exact, include_precedents=include_precedents,
            actor=actor, decision_id=decision_id, log=log, space_id=space_id)))

    def suggest(
        self, collection: str, tenant: str, *, vector: Sequence[float] | None = None, text: str | None = None,
        context: JSON | None = None, k: int | None = None, filter: JSON | None = None, nprobe: int | None = None,
        exact: bool | None = None, actor: str | None = None, decision_id: str | None = None, log: bool | None = None,
        include_precedents: bool | None = None, prior_strength: float | None = None, confidence: float | None = None,
        min_support: int | None = None, space_id: str | None = None,
    ) -> Suggestion:
        """What to do now, from the closest precedents with a known outcome."""
        return self._run(calls.suggest(collection, tenant, dict(
            vector=list(vector) if vector is not None else None, text=text, context=context, k=k,
            filter=filter, nprobe=nprobe, exact=exact, actor=actor, decision_id=decision_id, log=log,
            include_precedents=include_precedents, prior_strength=prior_strength, confidence=confidence,
            min_support=min_support, space_id=space_id)))

    def index_info(self, collection: str) -> IndexInfo:
        return self._run(calls.index_info(collection))

    def train_index(self, collection: str, *, nlist: int | None = None, sample: int | None = None,
                    target_recall: float | None = None) -> TrainingReport:
        """Trains the IVF index; `target_recall` stores as the default nprobe the fewest lists that
        reach that recall@10 on the training's own rows."""
        return self._run(calls.train_index(collection, nlist, sample, target_recall))

    def reembed(self, collection: str, *, tenants: list[str] | None = None, stale: bool | None = None,
                embedder: str | None = None) -> ReembedReport:
        """Embeds a hashed collection anew (or only `tenants`, or the `stale` ones, of a hashed-v2 one)."""
        return self._run(calls.reembed(collection, tenants, stale, embedder))

    def record_use(
        self, query_id: str, tenant: str, precedent_id: str, type: str, *, actor: str | None = None,
        decision_id: str | None = None, event_id: str | None = None,
    ) -> UseReceipt:
        """A precedent a search showed was viewed, cited, applied or rejected. With `event_id`
        the use is recorded once however often it is sent (`recorded` False the next times)."""
        return self._run(calls.record_use(query_id, tenant, precedent_id, type, actor, decision_id, event_id))

    def record_outcome(
        self, decision_id: str, tenant: str, was_successful: bool | None, *, outcome: str | None = None,
        action: str | None = None, collection: str | None = None,
    ) -> OutcomeReceipt:
        return self._run(calls.record_outcome(decision_id, tenant, was_successful, outcome, action, collection))

    def stats(
        self, tenant: str, collection: str, *, since: datetime | str | None = None, until: datetime | str | None = None,
        top: int | None = None,
    ) -> MatchStatistics:
        return self._run(calls.stats(tenant, collection, since, until, top))


def _transport_options(socket: str | None, url: str | None) -> tuple[str, dict[str, Any]]:
    if (socket is None) == (url is None):
        raise ValueError("give socket= (a Unix socket path) or url= (http://host:port), one of them")
    return (url.rstrip("/") if url else _BASE), ({"uds": socket} if socket else {})


def _read(call: calls.Call, response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = None
        raise error_from_response(response.status_code, body, response.headers.get("allow"))
    if response.status_code == 204:
        return call.read(None)
    return call.read(response.text if call.text else response.json())


def _request_options(call: calls.Call) -> dict[str, Any]:
    options: dict[str, Any] = {"params": call.params}
    if call.files is not None:
        options["files"] = call.files
    elif call.content is not None:
        options["content"] = call.content
        options["headers"] = {"Content-Type": call.content_type or "application/octet-stream"}
    elif call.json is not None:
        options["json"] = call.json
    return options


class _Retrying(_API):
    """When to send a request again: both clients' loops ask this, and sleep as they do."""

    _retries: int
    _backoff: float

    def _retry_delay(self, call: calls.Call, attempt: int, *, failure: Exception | None = None,
                     status: int | None = None) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give this answer or error."""
        never_sent = isinstance(failure, httpx.ConnectError)
        worth_resending = failure is not None or status == 503
        if attempt < self._retries and (never_sent or (call.idempotent and worth_resending)):
            return self._backoff * 2**attempt
        return None


class CasebookClient(_Retrying):
    """The socket API, synchronously: `CasebookClient(socket="/run/casebook.sock")` or
    `CasebookClient(url="http://127.0.0.1:8080")`. Use it as a context manager, or `close()`."""

    def __init__(self, *, socket: str | None = None, url: str | None = None, timeout: float = 10.0,
                 retries: int = 2, backoff: float = 0.1) -> None:
        base, transport = _transport_options(socket, url)
        self._http = httpx.Client(base_url=base, timeout=timeout, transport=httpx.HTTPTransport(**transport))
        self._retries, self._backoff = retries, backoff

    def _run(self, call: calls.Call) -> Any:
        for attempt in itertools.count():
            try:
                response = self._http.request(call.method, call.path, **_request_options(call))
            except httpx.TransportError as failure:
                delay = self._retry_delay(call, attempt, failure=failure)
                if delay is None:
                    raise
            else:
                delay = self._retry_delay(call, attempt, status=response.status_code)
                if delay is None:
                    return _read(call, response)
            time.sleep(delay)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CasebookClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncCasebookClient(_Retrying):
    """The socket API for asyncio (a FastAPI backend): the same methods as ``CasebookClient``,
    each to be awaited. Use it as an async context manager, or `await aclose()`."""

    def __init__(self, *, socket: str | None = None, url: str | None = None, timeout: float = 10.0,
                 retries: int = 2, backoff: float = 0.1) -> None:
        base, transport = _transport_options(socket, url)
        self._http = httpx.AsyncClient(base_url=base, timeout=timeout, transport=httpx.AsyncHTTPTransport(**transport))
        self._retries, self._backoff = retries, backoff

    async def _run(self, call: calls.Call) -> Any:  # type: ignore[override]
        for attempt in itertools.count():
            try:
                response = await self._http.request(call.method, call.path, **_request_options(call))
            except httpx.TransportError as failure:
                delay = self._retry_delay(call, attempt, failure=failure)
                if delay is None:
                    raise
            else:
                delay = self._retry_delay(call, attempt, status=response.status_code)
                if delay is None:
                    return _read(call, response)
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncCasebookClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


__all__ = ["CasebookClient", "AsyncCasebookClient", "CasebookError"]
