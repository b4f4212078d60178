#!/usr/bin/env bash
# Tool: T-OPS-01 Status Check — drop-in for Company OS's script, backed by incident-mcp's concurrent checker.
# Description: Checks health of one or more HTTP endpoints (status code, response time, TLS), all at once,
#              each within one whole-request deadline; nothing is called DOWN before a re-check agrees.
# Usage: ./tools/ops/status-check.sh [--timeout <ms>] [--expected-status <code>] [--verbose] <url> [<url> ...]
# Outputs: health report per URL, exit 0=healthy 1=degraded 2=down (2 also for usage errors)
set -uo pipefail

python=${PYTHON:-python3}

# Always the installed incident-mcp: never a folder named incident_mcp beside this script or in the current
# directory, which whoever controls the repository could plant (or which may be an older checkout).
# The installed command first; else the installed package, imported with -P so that neither the current
# directory nor this script's folder is put on the module path.
if command -v incident-mcp >/dev/null 2>&1; then
  exec incident-mcp status-check "$@"
fi
if "$python" -P -c 'import incident_mcp' >/dev/null 2>&1; then
  exec "$python" -P -m incident_mcp status-check "$@"
fi
echo "status-check.sh: incident-mcp is not installed (pip install incident-mcp)" >&2
exit 2
