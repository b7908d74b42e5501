"""Run by ClientPackageTests against a server whose PostgreSQL it has stopped (not collected with
the other tests: it needs that server). A write raises StorageError with the server's 503
storage_unavailable, after no retry (an add is never resent); searches go on from memory."""
from __future__ import annotations

import os

import pytest

import casebook_client as cb
from support import client as new_client, close, v

SOCKET = os.environ["CASEBOOK_DOWN_SOCKET"]
DIMENSION = int(os.environ["CASEBOOK_DOWN_DIMENSION"])

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_write_with_the_database_away_raises_storage_error(kind: str) -> None:
    client = new_client(kind, socket=SOCKET, retries=2, backoff=0)
    try:
        vector = [1.0] + [0.0] * (DIMENSION - 1)
        found = await v(client.search("c", "acme", vector=vector, k=3, log=False))
        assert [r.id for r in found.results] == ["seed"]
        with pytest.raises(cb.StorageError) as down:
            await v(client.add_precedents("c", "acme", [{"id": f"down-{kind}", "vector": vector}]))
        assert (down.value.status, down.value.code) == (503, "storage_unavailable")
    finally:
        await close(client)
    metrics = cb.CasebookClient(socket=SOCKET)
    try:
        # Each refused add counted once: the client did not resend it.
        text = metrics.metrics()
        line = next(l for l in text.splitlines() if l.startswith('casebook_store_errors_total{code="storage_unavailable"}'))
        assert float(line.split()[-1]) == (1 if kind == "sync" else 2)
    finally:
        metrics.close()
