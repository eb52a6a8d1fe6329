"""Drives the real server with the official MCP Python SDK, as a Python host would.

Both connection styles: `ClientSession` over stdio (the 2025-11-25 `initialize` handshake) and
`Client(mode="auto")` (2026-07-28 `server/discover`, falling back to `initialize`). Every tool is
called with arguments that succeed and with arguments that fail; the SDK validates every
successful result against the tool's outputSchema itself (it raises on a mismatch), and this
script checks that every error arrives as an error result with the shared error object in its
text. Prints one line per call and `N passed, N failed` at the end; exits 1 on any failure.

Usage: python_sdk_check.py CASES_JSON SERVER [ARGS...]  (the server's environment is inherited)
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.client import Client
from mcp.client.stdio import stdio_client

ACTIONS = {"authenticate_session", "retry", "fix_arguments"}


def check_result(case, result):
    """Returns a problem description, or None when the result is what the case expects."""
    if case["expect"] == "ok":
        if result.is_error:
            return f"expected success, got error: {text_of(result)}"
        if result.structured_content is None:
            return "no structuredContent on a success"
        return None
    if not result.is_error:
        return "expected an error result, got success"
    if result.structured_content is not None:
        return "an error result carries structuredContent"
    try:
        error = json.loads(text_of(result))
    except ValueError:
        return f"the error text is not the error object: {text_of(result)!r}"
    if error.get("ok") is not False or not error.get("error"):
        return f"malformed error object: {error}"
    if error.get("action") not in ACTIONS:
        return f"error without a known action: {error}"
    wanted = case.get("error_code")
    if wanted and error.get("error_code") != wanted:
        return f"expected error_code {wanted}, got {error}"
    return None


def text_of(result):
    return "".join(getattr(c, "text", "") for c in result.content)


async def run_cases(label, session_like, cases, tally):
    tools = await session_like.list_tools()
    names = {t.name for t in tools.tools}
    for case in cases:
        if case["tool"] not in names:
            print(f"FAIL {label} {case['name']}: tool {case['tool']} not listed")
            tally["failed"] += 1
            continue
        try:
            result = await session_like.call_tool(case["tool"], case["args"])
            problem = check_result(case, result)
        except Exception as e:  # the SDK raises when a result breaks the outputSchema
            problem = f"the client raised {type(e).__name__}: {e}"
        if problem:
            print(f"FAIL {label} {case['name']}: {problem}")
            tally["failed"] += 1
        else:
            print(f"ok   {label} {case['name']}")
            tally["passed"] += 1


async def main():
    cases = json.load(open(sys.argv[1]))
    params = StdioServerParameters(
        command=sys.argv[2], args=sys.argv[3:], env=dict(os.environ)
    )
    tally = {"passed": 0, "failed": 0}

    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await run_cases("ClientSession", session, cases, tally)

    async with Client(params, mode="auto") as client:
        await run_cases("Client(auto)", client, cases, tally)

    print(f"{tally['passed']} passed, {tally['failed']} failed")
    sys.exit(1 if tally["failed"] else 0)


if __name__ == "__main__":
    asyncio.run(main())
