"""A served collection of the sample precedents, for the benchmarks that time writes over the
socket API (writes_during.py, single_adds.py)."""
import contextlib
import json
import os
import shutil
import subprocess
import time

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sample_precedents():
    return [json.loads(line) for line in open(os.path.join(ROOT, "data", "sample-precedents.jsonl"))]


@contextlib.contextmanager
def served_sample(casebook, work, rows, embedder):
    """Builds collection `c` of the sample precedents repeated to `rows` (fresh ids, the four
    tenants) in a new database under `work`, serves it, and yields (client, db, socket) once the
    server answers; stops the server after."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    db, sock, data = (os.path.join(work, n) for n in ("db.sqlite", "casebook.sock", "rows.jsonl"))
    sample = sample_precedents()
    with open(data, "w") as f:
        for i in range(rows):
            f.write(json.dumps(dict(sample[i % len(sample)], id=f"r{i}", decisionEventId=f"e{i}")) + "\n")
    run = lambda *a: subprocess.run([casebook, *a, "--db", db], check=True, capture_output=True)
    run("init", "--collection", "c", "--embedder", embedder)
    run("add", "--collection", "c", data)
    server = subprocess.Popen([casebook, "serve", "--db", db, "--socket", sock],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        api = client(sock)
        for _ in range(600):
            try:
                if api.get("/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield api, db, sock
    finally:
        server.terminate()
        server.wait()


def client(sock):
    return httpx.Client(transport=httpx.HTTPTransport(uds=sock), base_url="http://casebook", timeout=600)
