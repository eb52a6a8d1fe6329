#!/usr/bin/env bash
# Host conformance, by hand: the official MCP Inspector CLI (`--strict`, both protocol eras),
# the official MCP Python SDK (`ClientSession` and `Client(mode="auto")`) and amagi-mcp-probe
# (`--strict`) drive the real server,
# spawned over stdio, against the loopback DC on a signed-in session. Every tool is called with
# arguments that succeed and with arguments that fail (scripts/conformance/cases.json).
#
# Installs the Inspector (npm) and the SDK (PyPI, in a virtual environment) into
# target/conformance/ on first use; nothing else is fetched. Not part of `cargo test`: it needs
# Node.js and Python, and takes about a minute.
#
# Usage: scripts/conformance.sh        Exit 0 when every call passes and no warning is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

INSPECTOR_VERSION=2.12.0
MCP_PYTHON_VERSION=2.3.0
PROBE_VERSION=0.1.0
cache=target/conformance
mkdir -p "$cache"

if [ ! -x "$cache/node_modules/.bin/mcp-inspector" ]; then
  echo "== installing @modelcontextprotocol/inspector@$INSPECTOR_VERSION"
  npm install --prefix "$cache" --no-audit --no-fund --silent \
    "@modelcontextprotocol/inspector@$INSPECTOR_VERSION"
fi
if [ ! -x "$cache/venv/bin/amagi-mcp-probe" ]; then
  echo "== installing mcp==$MCP_PYTHON_VERSION and amagi-mcp-probe==$PROBE_VERSION"
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install --quiet "mcp==$MCP_PYTHON_VERSION" "amagi-mcp-probe==$PROBE_VERSION"
fi
inspector="$cache/node_modules/.bin/mcp-inspector"

echo "== building"
cargo build --quiet --bin fast-mcp-telegram --example fake_dc
server="$PWD/target/debug/fast-mcp-telegram"
cases=scripts/conformance/cases.json

work=$(mktemp -d)
dc_pid=
cleanup() {
  [ -n "$dc_pid" ] && kill "$dc_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
target/debug/examples/fake_dc --session-dir "$work" --signed-in >"$work/dc.json" 2>"$work/dc.log" &
dc_pid=$!
for _ in $(seq 100); do [ -s "$work/dc.json" ] && break; sleep 0.1; done
[ -s "$work/dc.json" ] || { echo "the loopback DC did not start"; cat "$work/dc.log"; exit 1; }

# The server's environment, as a host would set it.
export SESSION_DIR="$work" API_ID=12345 API_HASH=0123456789abcdef0123456789abcdef HOME="$work"
server_env=(-e "SESSION_DIR=$SESSION_DIR" -e "API_ID=$API_ID" -e "API_HASH=$API_HASH" -e "HOME=$HOME")

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

for era in legacy modern; do
  # tools/list under --strict: no portability problem of any severity.
  if "$inspector" --cli -q --strict --protocol-era "$era" "${server_env[@]}" "$server" \
      --method tools/list >"$work/list.out" 2>"$work/list.err"; then
    if grep -qE '^(Warning|Error)' "$work/list.err"; then
      fail "inspector $era tools/list --strict: $(grep -cE '^(Warning|Error)' "$work/list.err") problems, the first: $(grep -m1 -A2 -E '^(Warning|Error)' "$work/list.err")"
    else
      pass "inspector $era tools/list --strict"
    fi
  else
    fail "inspector $era tools/list --strict exited $?: $(head -c 2000 "$work/list.err")"
  fi

  # Every case through the Inspector. A success must exit 0 with a result it validated; an
  # error must arrive as an error result carrying the shared error object (the Inspector then
  # exits non-zero with `tool_is_error`, after printing the result).
  count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$cases")
  for i in $(seq 0 $((count - 1))); do
    IFS=$'\t' read -r name tool args expect < <(python3 - "$cases" "$i" <<'PY'
import json, sys
case = json.load(open(sys.argv[1]))[int(sys.argv[2])]
print("\t".join([case["name"], case["tool"], json.dumps(case["args"]), case["expect"]]))
PY
)
    status=0
    "$inspector" --cli -q --protocol-era "$era" --format json "${server_env[@]}" "$server" \
      --method tools/call --tool-name "$tool" --tool-args-json "$args" \
      >"$work/call.out" 2>"$work/call.err" || status=$?
    verdict=$(python3 - "$work/call.out" "$work/call.err" "$expect" "$status" <<'PY'
import json, sys
out, err, expect, status = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
try:
    result = json.load(open(out))["result"]
except Exception as e:
    print(f"no result printed ({e}): {open(err).read()[:800]}")
    sys.exit()
if expect == "ok":
    if status != 0 or result.get("isError"):
        print(f"expected success (exit {status}): {json.dumps(result)[:800]} {open(err).read()[:400]}")
    sys.exit()
if not result.get("isError"):
    print(f"expected an error result: {json.dumps(result)[:800]}")
elif "structuredContent" in result:
    print("an error result carries structuredContent")
elif status != 0 and "tool_is_error" not in open(err).read():
    print(f"the Inspector failed otherwise (exit {status}): {open(err).read()[:800]}")
else:
    try:
        error = json.loads(result["content"][0]["text"])
        if error.get("ok") is not False or error.get("action") not in ("retry", "fix_arguments", "authenticate_session"):
            print(f"malformed error object: {error}")
    except Exception as e:
        print(f"the error text is not the error object ({e}): {json.dumps(result)[:800]}")
PY
)
    if [ -z "$verdict" ]; then pass "inspector $era $name"; else fail "inspector $era $name: $verdict"; fi
  done
done

echo "== the official Python SDK"
if "$cache/venv/bin/python" scripts/conformance/python_sdk_check.py \
    "$cases" "$server" >"$work/py.out" 2>"$work/py.err"; then
  pass "python sdk: $(tail -n 1 "$work/py.out")"
else
  grep FAIL "$work/py.out" || true
  fail "python sdk: $(tail -n 1 "$work/py.out") $(tail -n 5 "$work/py.err")"
fi

echo "== amagi-mcp-probe"
# Real arguments for each tool: the first successful case of each in cases.json. edit_message
# is left out: a successful edit needs a message of this run (the suite covers it).
python3 - "$cases" >"$work/probe-args.json" <<'PY'
import json, sys
args = {}
for case in json.load(open(sys.argv[1])):
    if case["expect"] == "ok":
        args.setdefault(case["tool"], case["args"])
print(json.dumps(args))
PY
if "$cache/venv/bin/amagi-mcp-probe" --strict --allow-destructive --skip edit_message \
    --args "$work/probe-args.json" --env "SESSION_DIR=$SESSION_DIR" --env "API_ID=$API_ID" \
    --env "API_HASH=$API_HASH" --env "HOME=$HOME" -- "$server" >"$work/probe.out" 2>&1; then
  pass "amagi-mcp-probe --strict: $(tail -n 1 "$work/probe.out")"
else
  fail "amagi-mcp-probe --strict: $(cat "$work/probe.out")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
