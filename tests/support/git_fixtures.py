"""Git repositories with planted history, for the recent-changes tests and benchmark (real git, real files)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path


def git(root: Path, *args: str, at: dt.datetime | None = None, author: str = "Sam Rivera") -> str:
    """Run git in ``root`` with a fixed identity (and author/committer date ``at``); returns stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": author,
                "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)})
    if at is not None:
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S+0000")
        env.update({"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


def init_repo(root: Path, at: dt.datetime) -> str:
    """``git init`` and commit everything in ``root`` as "initial" at ``at``; returns the sha."""
    git(root, "init", "-q", "-b", "main")
    return commit_all(root, "initial", at)


def commit(root: Path, message: str, at: dt.datetime, files: dict[str, str], author: str = "Sam Rivera") -> str:
    """Write ``files`` (relative path → text) and commit them at ``at``; returns the full sha."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return commit_all(root, message, at, author)


def commit_all(root: Path, message: str, at: dt.datetime, author: str = "Sam Rivera") -> str:
    """Stage everything and commit at ``at``."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message, at=at, author=author)
    return git(root, "rev-parse", "HEAD")


def fast_import(root: Path, times: Iterable[dt.datetime], *, files_per_commit: int = 2) -> int:
    """Append one commit per time to ``main`` with ``git fast-import`` (thousands per second); returns how many."""
    lines: list[bytes] = []
    count = 0
    parent = git(root, "rev-parse", "--verify", "-q", "HEAD") if (root / ".git").exists() else ""
    for count, at in enumerate(times, 1):
        epoch = int(at.timestamp())
        message = f"change {count}".encode()
        lines.append(b"commit refs/heads/main\n")
        lines.append(f"author Dev {count % 7} <dev@example.com> {epoch} +0000\n".encode())
        lines.append(f"committer Dev {count % 7} <dev@example.com> {epoch} +0000\n".encode())
        lines.append(b"data %d\n%s\n" % (len(message), message))
        if count == 1 and parent:
            lines.append(f"from {parent}\n".encode())
        for index in range(files_per_commit):
            body = f"{count}-{index}\n".encode()
            lines.append(f"M 644 inline src/module_{(count + index) % 97}.py\n".encode())
            lines.append(b"data %d\n%s\n" % (len(body), body))
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=b"".join(lines), check=True)
    return count
