"""Scheduled set-ups for ``watch --once``: the GitHub Actions workflow ``init --schedule github-actions`` writes.

The workflow maps every secret the notify channels name (``url_env``, ``token_env``, ``password_env``) from
the repository's Actions secrets, so no secret is ever written into the file.
"""

from __future__ import annotations

from incident_mcp import __version__
from incident_mcp.config import CompanyConfig

WORKFLOW_PATH = ".github/workflows/incident-watch.yml"
SCHEDULES = ("github-actions",)

_WORKFLOW = """\
# Written by `incident-mcp init --schedule github-actions`; edit freely (init keeps your changes unless --force).
# One `incident-mcp watch --once` round every 5 minutes, then the history (watch/) and any incident record
# it wrote are committed. Be honest with yourself about GitHub's scheduler: never more often than every
# 5 minutes, runs often start late (at busy times by much more), and in a public repository scheduled
# workflows are disabled after 60 days without repository activity. Set incident_response.watch.interval
# to 300 to match. For minute-level detection run `incident-mcp watch` under systemd or cron on a small
# machine (README, "Detect").
name: incident-watch
on:
  schedule:
    - cron: "*/5 * * * *"
  workflow_dispatch: {{}}
permissions:
  contents: write
concurrency:
  group: incident-watch  # two rounds never race on the state file
  cancel-in-progress: false
jobs:
  watch:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install "incident-mcp=={version}"  # the version that wrote this file; pin what you run locally
      - name: One watch round (exit 1 degraded, 2 down; the job still commits)
        run: incident-mcp watch --once || echo "::warning::watch round exited with $?"
{env}      - name: Commit the history and records
        run: |
          git config user.name "incident-mcp watch"
          git config user.email "incident-mcp-watch@users.noreply.github.com"
          git add watch artifacts/decision-memos
          if ! git diff --cached --quiet; then
            git commit -q -m "watch: round at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
            git pull -q --rebase --autostash && git push -q
          fi
"""


def secret_names(config: CompanyConfig | None) -> list[str]:
    """Every environment variable the notify channels name, in config order, once."""
    names: dict[str, None] = {}
    for channel in config.incident_response.notify if config else []:
        for name in (channel.url_env, channel.token_env, channel.password_env):
            if name:
                names.setdefault(name, None)
    return list(names)


def github_workflow(config: CompanyConfig | None) -> str:
    """The workflow text for this config."""
    names = secret_names(config)
    env = ""
    if names:
        env = "        env:\n" + "".join(f"          {n}: ${{{{ secrets.{n} }}}}\n" for n in names)
    return _WORKFLOW.format(version=__version__, env=env)
