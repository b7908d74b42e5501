"""Casebook's socket API from Python, the way a FastAPI backend would call it: httpx over the Unix
domain socket that `casebook serve --socket PATH` opened. Runs a short session against a fresh
collection and prints what it got:

    casebook serve --db demo.sqlite --socket /tmp/casebook.sock &
    python benchmarks/socket_client.py /tmp/casebook.sock
"""
import struct
import sys

import httpx


def client(socket_path: str) -> httpx.Client:
    # The host name is ignored over a Unix socket; it only has to be a valid URL.
    return httpx.Client(transport=httpx.HTTPTransport(uds=socket_path), base_url="http://casebook", timeout=30)


def check(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        error = response.json()["error"]
        raise RuntimeError(f"{response.status_code} {error['code']}: {error['message']}")
    return response.json() if response.content else {}


def main(socket_path: str) -> None:
    with client(socket_path) as api:
        print(check(api.get("/v1/health")))
        api.post("/v1/collections", json={"name": "py-demo", "dim": 3, "metric": "cosine", "embedder": "external"})
        check(api.post("/v1/collections/py-demo/precedents", json={"tenant": "acme", "precedents": [
            {"id": "ndr-1", "vector": [1, 0, 0], "outcome": "rescheduled", "wasSuccessful": True},
            {"id": "ndr-2", "vector": [0.7, 0.7, 0], "outcome": "returned", "wasSuccessful": False},
        ]}))
        found = check(api.post("/v1/collections/py-demo/search", json={
            "tenant": "acme", "k": 2, "vector": [0.9, 0.1, 0], "actor": "py-agent", "decisionId": "order-42"}))
        print([(r["rank"], r["id"], round(r["score"], 3)) for r in found["results"]])
        # The same search with the vector as raw little-endian float32 (no JSON float parsing).
        raw = struct.pack("<3f", 0.9, 0.1, 0)
        binary = check(api.post("/v1/collections/py-demo/search/binary", params={"tenant": "acme", "k": 1},
                                content=raw, headers={"Content-Type": "application/octet-stream"}))
        print(binary["results"][0]["id"])
        print(check(api.post(f"/v1/matches/{found['queryId']}/uses", json={
            "tenant": "acme", "precedentId": found["results"][0]["id"], "type": "applied", "eventId": "evt-1"})))
        print(check(api.post("/v1/decisions/order-42/outcome", json={"tenant": "acme", "wasSuccessful": True})))
        stats = check(api.get("/v1/stats", params={"tenant": "acme", "collection": "py-demo"}))
        print({key: stats[key] for key in ("queries", "shown", "used", "mrr", "hitAtK")})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "casebook.sock")
