"""Helpers for tests that run one scenario with the sync and the async client alike."""
from __future__ import annotations

import inspect

import casebook_client as cb


async def v(value):
    """The value of a sync call, or the awaited value of an async one."""
    return await value if inspect.isawaitable(value) else value


def client(kind: str, **options):
    """A sync (`kind` "sync") or async client; `options` as the client takes them."""
    return (cb.CasebookClient if kind == "sync" else cb.AsyncCasebookClient)(**options)


async def close(client) -> None:
    await v(client.close() if isinstance(client, cb.CasebookClient) else client.aclose())
