#!/usr/bin/env bash
# Tool: T-OPS-01 Status Check — drop-in for Company OS's script, backed by incident-mcp's concurrent checker.
# Description: Checks health of one or more HTTP endpoints (status code, response time, TLS), all at once,
#              each within one whole-request deadline; nothing is called DOWN before a re-check agrees.
# Usage: ./tools/ops/status-check.sh [--timeout <ms>] [--expected-status <code>] [--verbose] <url> [<url> ...]
# Outputs: health report per URL, exit 0=healthy 1=degraded 2=down (2 also for usage errors)
set -uo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$here/../.." && pwd)
python=${PYTHON:-python3}

# In a checkout of incident-mcp, run the code beside this script (the installed one may be older).
if [[ -f "$root/incident_mcp/__init__.py" ]]; then
  export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
  exec "$python" -m incident_mcp status-check "$@"
fi
# Copied into a Company OS repository: the installed command, else the installed package.
if command -v incident-mcp >/dev/null 2>&1; then
  exec incident-mcp status-check "$@"
fi
if "$python" -c 'import incident_mcp' >/dev/null 2>&1; then
  exec "$python" -m incident_mcp status-check "$@"
fi
echo "status-check.sh: incident-mcp is not installed (pip install incident-mcp)" >&2
exit 2
