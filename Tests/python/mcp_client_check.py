"""Drives Casebook's MCP server with the official Python MCP SDK, as an agent's client would.

    python mcp_client_check.py stdio CASEBOOK_BINARY DB_PATH_OR_URL FOREIGN_QUERY_ID
    python mcp_client_check.py http SOCKET_PATH FOREIGN_QUERY_ID

The database holds collection "precedents" with tenants acme (ids acme-*) and globex (ids
globex-*, every text carrying GLOBEXSECRET); FOREIGN_QUERY_ID is one of globex's searches. The
session is acme's. Every check raises on failure; the last line printed is "ok N checks".
Run by Tests/CasebookTests/Processes/MCPTests.swift.
"""
import asyncio
import json
import subprocess
import sys

import httpx2
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

TOOLS = {"search_precedents", "suggest_decision", "record_precedent", "record_use", "record_outcome", "precedent_stats"}
checks = 0


def check(condition, message):
    global checks
    if not condition:
        raise AssertionError(message)
    checks += 1


def text_of(result):
    return "\n".join(part.text for part in result.content if getattr(part, "type", "") == "text")


def never_foreign(result):
    blob = text_of(result) + json.dumps(result.structured_content or {})
    check("GLOBEXSECRET" not in blob and "globex-" not in blob, f"another tenant's data in {blob[:300]}")


async def call(session, name, arguments):
    result = await session.call_tool(name, arguments)
    never_foreign(result)
    return result


async def exercise(session, fixed_collection, foreign_query_id):
    listed = await session.list_tools()
    names = {tool.name for tool in listed.tools}
    check(names == TOOLS, f"tools {names}")
    for tool in listed.tools:
        schema = tool.input_schema if hasattr(tool, "input_schema") else tool.inputSchema
        check(schema.get("type") == "object" and schema.get("additionalProperties") is False, f"{tool.name} schema {schema}")
        properties = schema.get("properties", {})
        check("tenant" not in properties, f"{tool.name} takes a tenant")
        if tool.name != "record_use":  # a queryId names its collection
            check(("collection" in properties) != fixed_collection, f"{tool.name} collection argument {properties.keys()}")
        check(bool(tool.description), f"{tool.name} has no description")
    extra = {} if fixed_collection else {"collection": "precedents"}

    found = await call(session, "search_precedents", {"text": "customer not answering the phone", "k": 3, **extra})
    check(not found.is_error, text_of(found))
    precedents = found.structured_content["precedents"]
    check(len(precedents) == 3 and all(p["id"].startswith("acme-") for p in precedents), f"search {precedents}")
    check("queryId" in text_of(found) and precedents[0]["id"] in text_of(found), text_of(found))
    query_id = found.structured_content["queryId"]

    suggested = await call(session, "suggest_decision", {"text": "customer not answering the phone", "decisionId": "d-1", **extra})
    check(not suggested.is_error, text_of(suggested))
    advice = suggested.structured_content
    check(advice["recommendedAction"] == "call_first" and "Recommended: call_first" in text_of(suggested), text_of(suggested))
    check(advice["actions"][0]["action"] == "call_first" and advice["considered"] > 0, json.dumps(advice)[:400])

    recorded = await call(session, "record_precedent", {
        "id": "acme-new", "text": "customer not answering, parcel left with neighbour", "action": "leave_with_neighbour",
        "wasSuccessful": True, "outcome": "delivered", "context": {"reason": "unreachable"}, **extra})
    check(not recorded.is_error and recorded.structured_content["id"] == "acme-new", text_of(recorded))
    again = await call(session, "search_precedents", {"text": "parcel left with neighbour", "k": 1, **extra})
    check(again.structured_content["precedents"][0]["id"] == "acme-new", text_of(again))

    used = await call(session, "record_use", {"queryId": query_id, "precedentId": precedents[0]["id"], "type": "applied",
                                               "decisionId": "d-1", "eventId": "e-1"})
    check(not used.is_error and used.structured_content["recorded"] is True, text_of(used))
    replay = await call(session, "record_use", {"queryId": query_id, "precedentId": precedents[0]["id"], "type": "applied",
                                                 "decisionId": "d-1", "eventId": "e-1"})
    check(not replay.is_error and replay.structured_content["recorded"] is False, text_of(replay))

    outcome = await call(session, "record_outcome", {"decisionId": "d-1", "wasSuccessful": True, "action": "call_first", **extra})
    check(not outcome.is_error, text_of(outcome))
    stats = await call(session, "precedent_stats", extra)
    check(not stats.is_error, text_of(stats))
    record = stats.structured_content["suggestions"]
    check(record["decisionsFollowed"] == 1 and record["successRateFollowed"] == 1, json.dumps(record))

    # The tenant is fixed: an argument naming one is refused; another tenant's query is unknown.
    refused = await call(session, "search_precedents", {"text": "GLOBEXSECRET", "tenant": "globex", **extra})
    check(refused.is_error and "tenant" in text_of(refused), text_of(refused))
    foreign = await call(session, "record_use", {"queryId": foreign_query_id, "precedentId": "globex-1", "type": "applied"})
    check(foreign.is_error and "no logged search" in text_of(foreign), text_of(foreign))
    secret = await call(session, "search_precedents", {"text": "GLOBEXSECRET", "k": 50, **extra})
    check(not secret.is_error and all(p["id"].startswith("acme-") for p in secret.structured_content["precedents"]),
          text_of(secret))

    # Malformed arguments: tool errors that say what is wrong, and the server goes on.
    bad = [
        ("search_precedents", {"text": "x", "k": "many", **extra}, "k"),
        ("search_precedents", {"text": "x", "colour": "red", **extra}, "colour"),
        ("search_precedents", {"k": 3, **extra}, "describe the case"),
        ("search_precedents", {"text": "x", "k": 0, **extra}, "k must be"),
        ("search_precedents", {"text": "x", "k": 51, **extra}, "k must be between 1 and 50"),
        ("suggest_decision", {"text": "x", "k": 500, **extra}, "k must be between 1 and 200"),
        ("suggest_decision", {"text": "x", "context": [1, 2], **extra}, "context"),
        ("record_use", {"queryId": query_id, "precedentId": "acme-1", "type": "loved"}, "type"),
        ("record_use", {"precedentId": "acme-1", "type": "viewed"}, "queryId"),
        ("record_outcome", {"decisionId": "d-2", **extra}, "wasSuccessful"),
        ("record_precedent", {"id": "acme-new", "text": "duplicate", **extra}, "already"),
        ("record_precedent", {"text": "x", "action": "bad\u0007action", **extra}, "action"),
        ("precedent_stats", {"since": "yesterday", **extra}, "since"),
        ("no_such_tool", {}, "no tool"),
    ]
    if not fixed_collection:
        bad.append(("search_precedents", {"text": "x"}, "name a collection"))
        bad.append(("search_precedents", {"text": "x", "collection": "nope"}, "no collection"))
    for name, arguments, word in bad:
        result = await call(session, name, arguments)
        check(result.is_error and word in text_of(result), f"{name} {arguments}: {text_of(result)}")
    after = await call(session, "search_precedents", {"text": "customer not answering", "k": 1, **extra})
    check(not after.is_error, "the server stopped answering after bad calls")


async def run_http(socket_path, foreign_query_id, collection_header):
    headers = {"X-Casebook-Tenant": "acme", "X-Casebook-Actor": "python-agent"}
    if collection_header:
        headers["X-Casebook-Collection"] = "precedents"
    transport = httpx2.AsyncHTTPTransport(uds=socket_path)
    async with httpx2.AsyncClient(transport=transport, headers=headers, timeout=30) as client:
        async with streamable_http_client("http://localhost/mcp", http_client=client) as (read, write):
            async with ClientSession(read, write) as session:
                info = await session.initialize()
                check(info.server_info.name == "casebook", f"server info {info.server_info}")
                await exercise(session, collection_header, foreign_query_id)

    # Raw HTTP: a session needs the tenant header, and keeps the tenant it started with.
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with httpx2.AsyncClient(transport=httpx2.AsyncHTTPTransport(uds=socket_path), timeout=30) as raw:
        missing = await raw.post("http://localhost/mcp", json=init, headers=accept)
        check(missing.status_code == 400 and "X-Casebook-Tenant" in missing.text, f"{missing.status_code} {missing.text}")
        started = await raw.post("http://localhost/mcp", json=init, headers={**accept, "X-Casebook-Tenant": "acme"})
        check(started.status_code == 200, f"{started.status_code} {started.text}")
        session_id = started.headers.get("mcp-session-id")
        check(bool(session_id), f"no session id in {dict(started.headers)}")
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "search_precedents", "arguments": {"text": "GLOBEXSECRET", "collection": "precedents"}}}
        swapped = await raw.post("http://localhost/mcp", json=call, headers={
            **accept, "X-Casebook-Tenant": "globex", "Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-06-18"})
        check(swapped.status_code == 403 and "GLOBEXSECRET" not in swapped.text, f"{swapped.status_code} {swapped.text}")
        unknown = await raw.post("http://localhost/mcp", json=call, headers={
            **accept, "X-Casebook-Tenant": "acme", "Mcp-Session-Id": "no-such-session"})
        check(unknown.status_code == 404, f"{unknown.status_code} {unknown.text}")

        # A client that goes away in the middle of a call: the server goes on serving.
        for _ in range(5):
            try:
                async with raw.stream("POST", "http://localhost/mcp", json=call, headers={
                        **accept, "X-Casebook-Tenant": "acme", "Mcp-Session-Id": session_id,
                        "MCP-Protocol-Version": "2025-06-18"}) as response:
                    pass  # closed before reading the answer
            except httpx2.HTTPError:
                pass
        health = await raw.get("http://localhost/v1/health")
        check(health.status_code == 200, f"health {health.status_code}")
        ended = await raw.delete("http://localhost/mcp", headers={
            **accept, "X-Casebook-Tenant": "acme", "Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-06-18"})
        check(ended.status_code == 200, f"DELETE {ended.status_code} {ended.text}")
    # And a new session works after all that.
    async with httpx2.AsyncClient(transport=httpx2.AsyncHTTPTransport(uds=socket_path), headers=headers, timeout=30) as client:
        async with streamable_http_client("http://localhost/mcp", http_client=client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("search_precedents", {
                    "text": "customer not answering", "k": 1, **({} if collection_header else {"collection": "precedents"})})
                check(not result.is_error, text_of(result))


async def run_stdio_disconnect(binary, database):
    """The client writes a call and goes away without reading: the server exits cleanly."""
    process = await asyncio.create_subprocess_exec(
        binary, "mcp", "--db", database, "--tenant", "acme", "--collection", "precedents",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "suggest_decision", "arguments": {"text": "customer not answering"}}},
    ]
    process.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
    await process.stdin.drain()
    process.stdin.close()
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    check(process.returncode == 0, f"exit {process.returncode}: {stderr.decode()[-500:]}")
    check(b"Fatal error" not in stderr, stderr.decode()[-500:])


def main():
    mode = sys.argv[1]
    if mode == "stdio":
        binary, database, foreign_query_id, fixed = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "fixed"
        asyncio.run(run_stdio_once(binary, database, foreign_query_id, fixed))
        asyncio.run(run_stdio_disconnect(binary, database))
    elif mode == "http":
        socket_path, foreign_query_id, fixed = sys.argv[2], sys.argv[3], sys.argv[4] == "fixed"
        asyncio.run(run_http(socket_path, foreign_query_id, fixed))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(f"ok {checks} checks")


async def run_stdio_once(binary, database, foreign_query_id, fixed):
    args = ["mcp", "--db", database, "--tenant", "acme", "--actor", "python-agent"]
    if fixed:
        args += ["--collection", "precedents"]
    async with stdio_client(StdioServerParameters(command=binary, args=args)) as (read, write):
        async with ClientSession(read, write) as session:
            info = await session.initialize()
            check(info.server_info.name == "casebook", f"server info {info.server_info}")
            await exercise(session, fixed, foreign_query_id)


if __name__ == "__main__":
    main()
