"""The workspace's git history, read with bounded ``git`` invocations (no shell, a timeout, a commit cap).

One ``git log --since --until -n N --name-only`` per question: commits with author, subject and the files
they touched. Git missing, a folder that is not a repository or a slow repository give a clear note instead
of a failure: commits are one source of changes among several.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from incident_mcp.errors import LearnError
from incident_mcp.incidents.record import format_timestamp, parse_timestamp

TIMEOUT_S = 10.0
MAX_COMMITS = 500
MAX_FILES_SHOWN = 20
CONFIG_FILE = "company.config.yaml"
_RECORD = "\x1e"
_FIELD = "\x1f"
_FORMAT = f"--format={_RECORD}%H{_FIELD}%cI{_FIELD}%an{_FIELD}%s"
SHA_ARG = re.compile(r"^[0-9a-fA-F]{4,64}$")


@dataclass(frozen=True)
class Commit:
    """One commit: full sha, commit time (UTC), author name, subject and the files it touched."""

    sha: str
    at: dt.datetime
    author: str
    subject: str
    files: tuple[str, ...] = ()


@dataclass
class GitHistory:
    """Commits found (newest first), whether the cap cut the list, and why commits may be missing."""

    commits: list[Commit] = field(default_factory=list)
    truncated: bool = False
    note: str | None = None


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "GIT_PAGER": "cat"})
    return env


def _git(root: Path, args: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    executable = shutil.which("git")
    if executable is None:
        raise LearnError("git is not installed (not found on PATH)")
    try:
        return subprocess.run([executable, "-C", str(root), "-c", "core.quotepath=off", *args],
                              capture_output=True, timeout=timeout, env=_env(), check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise LearnError(f"git {args[0]} took longer than {timeout:g} s; gave up") from None
    except OSError as err:
        raise LearnError(f"cannot run git: {err.strerror}") from None


def is_repository(root: Path, timeout: float = TIMEOUT_S) -> bool:
    """Whether ``root`` is inside a git work tree (False when git is missing)."""
    try:
        done = _git(root, ["rev-parse", "--is-inside-work-tree"], timeout)
    except LearnError:
        return False
    return done.returncode == 0 and done.stdout.strip() == b"true"


def commits_between(root: Path, since: dt.datetime, until: dt.datetime, *, limit: int = MAX_COMMITS,
                    paths: Sequence[str] = (), timeout: float = TIMEOUT_S) -> GitHistory:
    """Commits whose commit time is in ``[since, until]``, newest first, at most ``limit``; with ``paths``,
    only commits touching them (paths relative to ``root``)."""
    if not (root / ".git").exists() and not is_repository(root, timeout):
        return GitHistory(note="not a git repository: commits are not included")
    args = ["log", "--no-color", "--no-renames", f"--since={format_timestamp(since)}",
            f"--until={format_timestamp(until)}", f"-n{limit + 1}", "--name-only", _FORMAT]
    if paths:
        args += ["--", *paths]
    try:
        done = _git(root, args, timeout)
    except LearnError as err:
        return GitHistory(note=f"{err}: commits are not included")
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[0] if message else f"exit code {done.returncode}"
        if "does not have any commits" in first:
            return GitHistory(note="the git repository has no commits yet")
        return GitHistory(note=f"git log failed ({first[:200]}): commits are not included")
    commits = parse_log(done.stdout.decode("utf-8", "replace"))
    commits = [c for c in commits if since <= c.at <= until]
    history = GitHistory(commits=commits[:limit], truncated=len(commits) > limit)
    if history.truncated:
        history.note = f"more than {limit} commits in the window: only the newest {limit} are counted"
    return history


def parse_log(text: str) -> list[Commit]:
    """Commits from ``git log`` output in our record/field format."""
    commits: list[Commit] = []
    for record in text.split(_RECORD)[1:]:
        head, _, rest = record.partition("\n")
        parts = head.split(_FIELD)
        if len(parts) != 4:
            continue
        sha, when, author, subject = parts
        try:
            at = parse_timestamp(when)
        except ValueError:
            continue
        files = tuple(line for line in rest.split("\n") if line.strip())
        commits.append(Commit(sha=sha, at=at, author=author, subject=subject, files=files))
    return commits


def resolve_commit(root: Path, ref: str, timeout: float = TIMEOUT_S) -> str:
    """The full sha of commit ``ref`` (hex, 4 to 64 digits); LearnError when git cannot find it."""
    if not SHA_ARG.match(ref):
        raise LearnError(f"{ref[:70]!r} is not a commit hash (4 to 64 hex digits)")
    if not is_repository(root, timeout):
        raise LearnError(f"cannot check commit {ref!r}: the workspace is not a git repository (or git is missing)")
    done = _git(root, ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], timeout)
    if done.returncode != 0:
        raise LearnError(f"no commit {ref!r} in the workspace's git history (ambiguous or unknown)")
    return done.stdout.decode().strip()
