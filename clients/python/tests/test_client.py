"""casebook-client against a real `casebook serve` (started by the Swift test ClientPackageTests,
which passes its addresses): every route, over the Unix socket and TCP, with the sync and the
async client; tenant isolation; each documented error as its exception; retries and timeouts."""
from __future__ import annotations

import os
import uuid

import httpx
import pytest

import casebook_client as cb
from casebook_client import _calls as calls
from support import client as new_client, close, v

SOCKET = os.environ["CASEBOOK_SOCKET"]
URL = os.environ["CASEBOOK_URL"]
#: A server holding shard 0 of 2 with a 64 KiB body limit.
SHARD_SOCKET = os.environ["CASEBOOK_SHARD_SOCKET"]

pytestmark = pytest.mark.anyio


def make(kind: str, transport: str, **options):
    where = {"socket": SOCKET} if transport == "socket" else {"url": URL}
    return new_client(kind, **where, **options)


CLIENTS = [(kind, transport) for kind in ("sync", "async") for transport in ("socket", "tcp")]


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


NDR = [
    cb.Precedent(id="n1", category="ndr", text="customer not answering the phone, first attempt",
                 context={"paymentMode": "cod", "attempts": 1}, action="call_first", outcome="delivered",
                 was_successful=True, decision_event_id="d-1", tags=["cod"]),
    cb.Precedent(id="n2", category="ndr", text="customer not answering, second attempt",
                 context={"paymentMode": "cod", "attempts": 2}, action="call_first", outcome="delivered",
                 was_successful=True),
    cb.Precedent(id="n3", category="ndr", text="customer not answering the phone again",
                 context={"paymentMode": "cod", "attempts": 3}, action="rto", outcome="returned",
                 was_successful=False),
    {"id": "n4", "category": "ndr", "text": "address incomplete, rider could not find it", "action": "reattempt",
     "wasSuccessful": True},
]


@pytest.mark.parametrize("kind,transport", CLIENTS)
async def test_every_route(kind: str, transport: str) -> None:
    client = make(kind, transport)
    try:
        health = await v(client.health())
        assert health.status == "ok" and health.refitting_error is None

        hashed = name("hashed")
        created = await v(client.create_collection(hashed, dim=64))
        assert (created.name, created.dim, created.embedder, created.index) == (hashed, 64, "hashed-v1", "flat")
        assert hashed in [c.name for c in await v(client.list_collections())]
        added = await v(client.add_precedents(hashed, "acme", NDR))
        assert added.added == 4 and added.ids == ["n1", "n2", "n3", "n4"]
        assert (await v(client.get_collection(hashed, tenant="acme"))).count == 4
        assert (await v(client.get_collection(hashed))).count is None

        one = await v(client.get_precedent(hashed, "acme", "n1"))
        assert (one.tenant, one.action, one.was_successful, one.tags) == ("acme", "call_first", True, ["cod"])
        assert one.context == {"paymentMode": "cod", "attempts": 1} and one.created_at is not None
        changed = await v(client.update_precedent(hashed, "acme", "n4", outcome="delivered", was_successful=None))
        assert (changed.outcome, changed.was_successful) == ("delivered", None)

        found = await v(client.search(hashed, "acme", text="customer not answering the phone", k=3, explain=True,
                                      decision_id="d-9", filter={"category": "ndr"}))
        assert found.exact and [r.rank for r in found.results] == [1, 2, 3]
        assert found.results[0].id in {"n1", "n2", "n3"} and found.results[0].precedent is not None
        assert found.results[0].explanation is not None
        assert found.results[0].score >= found.results[1].score >= found.results[2].score

        event = name("event")  # eventIds are the tenant's: one per run
        use = await v(client.record_use(found.query_id, "acme", found.results[0].id, "applied", event_id=event))
        assert use.recorded and use.rank == 1
        again = await v(client.record_use(found.query_id, "acme", found.results[0].id, "applied", event_id=event))
        assert not again.recorded
        outcome = await v(client.record_outcome("d-1", "acme", True, outcome="delivered", action="call_first",
                                                collection=hashed))
        assert outcome.precedents_updated == 1

        advice = await v(client.suggest(hashed, "acme", text="customer not answering", context={"paymentMode": "cod"},
                                        k=10, min_support=1, include_precedents=True))
        assert advice.considered == 3  # n4's outcome was cleared above
        assert {a.action for a in advice.actions} == {"call_first", "rto"}
        assert advice.recommended_action == "call_first" and advice.evidence is not None

        statistics = await v(client.stats("acme", hashed))
        assert statistics.queries >= 1 and statistics.used == 1

        info = await v(client.index_info(hashed))
        assert (info.kind, info.rows) == ("flat", 4)
        with pytest.raises(cb.InvalidValueError):
            await v(client.train_index(hashed, nlist=2, target_recall=1.5))
        # Every tenant under the flat threshold: nothing to measure, the stored nprobe stays.
        report = await v(client.train_index(hashed, nlist=2, target_recall=0.9))
        assert (report.nlist, report.rows, report.nprobe) == (2, 4, 8) and report.raw.get("recall") is None
        assert (await v(client.index_info(hashed))).kind == "ivf"

        # Re-embedding: the whole hashed-v1 collection (it becomes hashed-v2), then one tenant of it.
        whole = await v(client.reembed(hashed))
        assert (whole.from_kind, whole.to_kind, whole.precedents, whole.tenants) == ("hashed-v1", "hashed-v2", 4, None)
        one_tenant = await v(client.reembed(hashed, tenants=["acme"]))
        assert (one_tenant.tenants, one_tenant.precedents) == (["acme"], 4)
        assert (await v(client.reembed(hashed, stale=True))).precedents == 0
        with pytest.raises(cb.InvalidValueError):
            await v(client.reembed(hashed, tenants=["acme"], stale=True))

        await v(client.delete_precedent(hashed, "acme", "n3"))
        with pytest.raises(cb.NotFoundError):
            await v(client.get_precedent(hashed, "acme", "n3"))

        # External vectors: JSON, the binary bulk add, binary search, batches.
        external = name("vectors")
        await v(client.create_collection(external, dim=4, embedder="external", space_id="toy-4", metric="ip"))
        await v(client.add_precedents(external, "acme", [
            cb.Precedent(id="v1", vector=[1, 0, 0, 0], action="a"), {"id": "v2", "vector": [0, 1, 0, 0]}],
            space_id="toy-4"))
        bulk = await v(client.add_precedents_bulk(external, "acme", [{"id": "v3"}, cb.Precedent(id="v4")],
                                                  [[0, 0, 1, 0], [0.5, 0.5, 0, 0]]))
        assert bulk.ids == ["v3", "v4"]
        assert (await v(client.get_precedent(external, "acme", "v4"))).vector == [0.5, 0.5, 0.0, 0.0]
        by_json = await v(client.search(external, "acme", vector=[1, 0.1, 0, 0], k=2))
        by_binary = await v(client.search_vector(external, "acme", [1, 0.1, 0, 0], k=2, include_precedents=False))
        assert [r.id for r in by_json.results] == [r.id for r in by_binary.results] == ["v1", "v4"]
        assert by_binary.results[0].precedent is None
        batch = await v(client.search_batch(external, "acme", [[0, 0, 1, 0], [0, 1, 0, 0]], k=1, log=False))
        assert [b.results[0].id for b in batch] == ["v3", "v2"]

        text = await v(client.metrics())
        assert "casebook_http_requests_total" in text and f'collection="{hashed}"' in text
    finally:
        await close(client)


@pytest.mark.parametrize("kind,transport", CLIENTS)
async def test_tenants_do_not_see_each_other(kind: str, transport: str) -> None:
    client = make(kind, transport)
    try:
        collection = name("iso")
        await v(client.create_collection(collection, dim=64))
        await v(client.add_precedents(collection, "acme", [{"id": "shared", "text": "acme secret decision"}]))
        await v(client.add_precedents(collection, "globex", [{"id": "shared", "text": "globex own decision"},
                                                             {"id": "g2", "text": "another globex one"}]))
        # The same id in two tenants: each reads its own.
        assert (await v(client.get_precedent(collection, "acme", "shared"))).text == "acme secret decision"
        assert (await v(client.get_precedent(collection, "globex", "shared"))).text == "globex own decision"
        with pytest.raises(cb.NotFoundError):
            await v(client.get_precedent(collection, "acme", "g2"))
        with pytest.raises(cb.NotFoundError):
            await v(client.update_precedent(collection, "acme", "g2", outcome="taken"))
        with pytest.raises(cb.NotFoundError):
            await v(client.delete_precedent(collection, "acme", "g2"))
        found = await v(client.search(collection, "acme", text="secret decision globex", k=10))
        assert [r.id for r in found.results] == ["shared"]
        assert all(r.precedent.tenant == "acme" for r in found.results)
        # Globex cannot record a use on acme's query, nor read acme's statistics.
        with pytest.raises(cb.NotFoundError):
            await v(client.record_use(found.query_id, "globex", "shared", "cited"))
        assert (await v(client.stats("globex", collection))).queries == 0
        assert (await v(client.get_collection(collection, tenant="globex"))).count == 2
    finally:
        await close(client)


@pytest.mark.parametrize("kind,transport", CLIENTS)
async def test_each_documented_error(kind: str, transport: str) -> None:
    client = make(kind, transport)
    try:
        collection = name("errors")
        await v(client.create_collection(collection, dim=2, embedder="external"))
        await v(client.add_precedents(collection, "acme", [{"id": "p1", "vector": [1, 0]}]))
        with pytest.raises(cb.BadRequestError) as bad:
            await v(client.get_precedent(collection, "", "p1"))
        assert (bad.value.status, bad.value.code) == (400, "missing_tenant")
        with pytest.raises(cb.BadRequestError) as unreadable:
            await v(client.add_precedents(collection, "acme", [{"id": "p2", "vector": [1, 0]}, {"id": "p3", "vector": "x"}]))
        assert unreadable.value.code == "invalid_precedents" and [i.index for i in unreadable.value.items] == [1]
        with pytest.raises(cb.NotFoundError) as missing:
            await v(client.search("no-such-collection", "acme", vector=[1, 0]))
        assert missing.value.code == "collection_not_found"
        with pytest.raises(cb.MethodNotAllowedError) as method:
            await v(client._run(calls.Call("PUT", "/v1/collections", lambda j: j)))
        assert method.value.allow == ["GET", "POST"]
        with pytest.raises(cb.UnsupportedMediaTypeError) as media:
            await v(client._run(calls.Call("POST", f"/v1/collections/{collection}/search", lambda j: j,
                                           content=calls.float32_bytes([1, 0]), content_type="application/octet-stream")))
        assert (media.value.status, media.value.code) == (415, "unsupported_media_type")
        with pytest.raises(cb.ConflictError) as exists:
            await v(client.create_collection(collection, dim=2, embedder="external"))
        assert exists.value.code == "collection_exists"
        with pytest.raises(cb.ConflictError) as duplicate:
            await v(client.add_precedents(collection, "acme", [{"id": "p1", "vector": [0, 1]}]))
        assert duplicate.value.code == "duplicate_id"
        with pytest.raises(cb.InvalidValueError) as k:
            await v(client.search(collection, "acme", vector=[1, 0], k=0))
        assert k.value.code == "invalid_k"
        with pytest.raises(cb.InvalidValueError) as dimension:
            await v(client.search_vector(collection, "acme", [1, 0, 0]))
        assert dimension.value.code == "dimension_mismatch"
        with pytest.raises(cb.InvalidValueError) as space:
            await v(client.search(collection, "acme", vector=[1, 0], space_id="another-model"))
        assert space.value.code == "wrong_space"
    finally:
        await close(client)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_shard_and_body_limit_errors(kind: str) -> None:
    client = new_client(kind, socket=SHARD_SOCKET)
    try:
        collection = name("sharded")
        await v(client.create_collection(collection, dim=64))
        refused = []
        for i in range(40):
            try:
                await v(client.add_precedents(collection, f"t{i}", [{"text": "a decision"}]))
            except cb.WrongShardError as error:
                refused.append(error)
        assert refused and all(e.status == 421 and e.shard == 1 for e in refused)
        with pytest.raises(cb.BodyTooLargeError) as large:
            await v(client.add_precedents(collection, "t0", [{"text": "x" * 40_000}, {"text": "y" * 40_000}]))
        assert large.value.status == 413
    finally:
        await close(client)


def test_server_errors_map_to_storage_errors() -> None:
    for status, code in ((500, "internal"), (503, "storage_unavailable"), (507, "storage_full")):
        error = cb.errors.error_from_response(status, {"error": {"code": code, "message": "m"}}, None)
        assert isinstance(error, cb.StorageError) and (error.status, error.code) == (status, code)
    odd = cb.errors.error_from_response(502, "<html>", None)
    assert isinstance(odd, cb.StorageError) and odd.code == "http_error"


def test_only_safe_requests_are_retried() -> None:
    """A 503 is retried for a read, never for an add; a connection never made, for both."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.method + " " + request.url.path)
        if len(seen) % 3 != 0:
            return httpx.Response(503, json={"error": {"code": "storage_unavailable", "message": "away"}})
        return httpx.Response(200, json={"status": "ok", "collections": 0})

    client = cb.CasebookClient(url="http://casebook.test", retries=2, backoff=0)
    client._http = httpx.Client(base_url="http://casebook.test", transport=httpx.MockTransport(answer))
    assert client.health().status == "ok" and len(seen) == 3
    seen.clear()
    with pytest.raises(cb.StorageError):
        client.add_precedents("c", "acme", [{"text": "x"}])
    assert seen == ["POST /v1/collections/c/precedents"]

    attempts: list[int] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        raise httpx.ConnectError("refused", request=request)

    client._http = httpx.Client(base_url="http://casebook.test", transport=httpx.MockTransport(refuse))
    with pytest.raises(httpx.ConnectError):
        client.add_precedents("c", "acme", [{"text": "x"}])
    assert len(attempts) == 3


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_timeouts_apply(kind: str) -> None:
    """A server that takes the connection and never answers: the client gives up after its
    timeout, without retrying a logged search."""
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    client = new_client(kind, url=f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            await v(client.search("anything", "acme", text="slow"))
        assert time.monotonic() - started < 2.5
    finally:
        await close(client)
        silent.close()
