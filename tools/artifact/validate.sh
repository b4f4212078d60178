#!/usr/bin/env bash
# Tool: Artifact Validate (incident-mcp drop-in for Company OS's tools/artifact/validate.sh)
# Usage: ./tools/artifact/validate.sh [--strict] <artifact-path>
# Same arguments, output markers (✅ VALID: / ❌ INVALID: / ⚠️  WARNINGS:) and exit codes (0 valid,
# 1 invalid or error) as Company OS's script; the checks are incident-mcp's (real YAML parsing, so
# block-style lists, duplicate ids and reference cycles are caught too).
set -euo pipefail

STRICT=()
ARTIFACT_PATH=""
for arg in "$@"; do
  case "$arg" in
    --strict) STRICT=(--strict) ;;
    *) ARTIFACT_PATH="$arg" ;;
  esac
done

if [[ -z "$ARTIFACT_PATH" ]]; then
  echo "ERROR: No artifact path provided"
  echo "Usage: ./tools/artifact/validate.sh [--strict] <artifact-path>"
  echo ""
  echo "Flags:"
  echo "  --strict    Also check bidirectional link consistency"
  exit 1
fi

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_GUESS="$(cd "$SCRIPT_DIR/../.." && pwd)"

# The workspace: $INCIDENT_MCP_WORKSPACE, else the repository this script sits in (as Company OS
# assumes), else whatever incident-mcp finds from the current folder.
WORKSPACE=()
if [[ -z "${INCIDENT_MCP_WORKSPACE:-}" ]] && [[ -f "$REPO_GUESS/company.config.yaml" || -d "$REPO_GUESS/artifacts" ]]; then
  WORKSPACE=(--workspace "$REPO_GUESS")
fi

python=${PYTHON:-python3}  # the interpreter that has incident-mcp installed, when it is not on PATH
if command -v incident-mcp >/dev/null 2>&1; then
  RUN=(incident-mcp)
elif [[ -f "$REPO_GUESS/incident_mcp/__init__.py" ]] && command -v "$python" >/dev/null 2>&1; then
  RUN=(env "PYTHONPATH=$REPO_GUESS${PYTHONPATH:+:$PYTHONPATH}" "$python" -m incident_mcp)
elif command -v "$python" >/dev/null 2>&1 && "$python" -c "import incident_mcp" >/dev/null 2>&1; then
  RUN=("$python" -m incident_mcp)
else
  echo "ERROR: incident-mcp is not installed (no 'incident-mcp' on PATH, no importable incident_mcp package)." >&2
  echo "  Install it with: pip install incident-mcp" >&2
  exit 1
fi

status=0
# ${A[@]+"${A[@]}"}: an empty array expands to nothing, even under set -u in bash 3.2 (macOS).
"${RUN[@]}" validate ${WORKSPACE[@]+"${WORKSPACE[@]}"} ${STRICT[@]+"${STRICT[@]}"} -- "$ARTIFACT_PATH" || status=$?
# Company OS's script only ever exits 0 or 1.
if [[ "$status" -ne 0 ]]; then
  exit 1
fi
exit 0
