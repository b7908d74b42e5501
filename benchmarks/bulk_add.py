#!/usr/bin/env python3
"""The socket's add with external vectors as JSON numbers against the bulk form (multipart: the
JSON fields, then the vectors as raw little-endian float32), from Python with httpx, alternated:
4 rounds of 5,000 random 384-d vectors each way, timed from before the client encodes the body
to the server's answer (the row is committed).

    casebook init --db b.db --collection emb --embedder external --dim 384
    casebook serve --db b.db --socket /tmp/s.sock --max-body 67108864 &
    benchmarks/.venv/bin/python benchmarks/bulk_add.py /tmp/s.sock
"""
import httpx, json, time, numpy as np, statistics, sys
api = httpx.Client(transport=httpx.HTTPTransport(uds=sys.argv[1]), base_url="http://casebook", timeout=120)
rng = np.random.default_rng(0)
n, d = 5000, 384
times = {"json": [], "multipart": []}
batch = 0
for _ in range(4):
    for mode in ("json", "multipart"):
        vectors = rng.standard_normal((n, d)).astype(np.float32)
        ids = [f"{mode}-{batch}-{i}" for i in range(n)]
        batch += 1
        started = time.perf_counter()
        if mode == "json":
            body = {"tenant": "acme", "precedents": [{"id": i, "vector": v} for i, v in zip(ids, vectors.tolist())]}
            r = api.post("/v1/collections/emb/precedents", content=json.dumps(body), headers={"content-type": "application/json"})
        else:
            body = {"tenant": "acme", "precedents": [{"id": i} for i in ids]}
            r = api.post("/v1/collections/emb/precedents", files={
                "precedents": (None, json.dumps(body), "application/json"),
                "vectors": (None, vectors.astype("<f4").tobytes(), "application/octet-stream")})
        elapsed = time.perf_counter() - started
        assert r.status_code == 201, r.text[:200]
        times[mode].append(elapsed)
for mode, values in times.items():
    m = statistics.median(values)
    print(mode, "median s per 5,000 x 384:", round(m, 3), "->", round(n / m), "precedents/s", [round(v, 3) for v in values])
