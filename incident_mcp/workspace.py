"""The workspace (a Company OS repository root): locating it, confined paths, atomic writes, locks.

Every file the core reads or writes goes through ``Workspace.path`` so that no id, slug or
relative path supplied by an agent can reach outside the repository, and every write goes
through ``atomic_write`` / ``create_exclusive`` so a crash leaves either the old or the new file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from incident_mcp.errors import IncidentMCPError, PathEscapeError, WorkspaceError

CONFIG_NAME = "company.config.yaml"
ENV_VAR = "INCIDENT_MCP_WORKSPACE"
STATE_DIR = ".incident-mcp"
TEMP_MARK = ".incident-mcp-tmp"
_DRIVE = re.compile(r"^[A-Za-z]:")
# Characters that must never appear in a path segment: controls, separators and bidi/format marks.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of our in-flight temp files (never listed as an artifact)."""
    return TEMP_MARK in name


def check_relative(rel: str) -> PurePosixPath:
    """Check that ``rel`` is a plain relative POSIX path with no way out; return it parsed."""
    if not isinstance(rel, str) or not rel:
        raise PathEscapeError("empty path")
    if "\x00" in rel:
        raise PathEscapeError("path contains a NUL byte")
    if "\\" in rel:
        raise PathEscapeError(f"path {rel!r} contains a backslash; use '/'")
    if rel.startswith("/") or _DRIVE.match(rel):
        raise PathEscapeError(f"path {rel!r} is absolute; give a path relative to the workspace")
    for ch in rel:
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            raise PathEscapeError(f"path {rel!r} contains control or direction character U+{ord(ch):04X}")
    parts = PurePosixPath(rel).parts
    if any(p in ("..", ".") for p in rel.split("/")) or not parts:
        raise PathEscapeError(f"path {rel!r} contains '.' or '..' segments")
    return PurePosixPath(*parts)


@dataclass(frozen=True)
class Workspace:
    """A Company OS repository root; all paths handed out are inside it."""

    root: Path

    @classmethod
    def at(cls, root: Path | str) -> Workspace:
        """Open the workspace at ``root`` (it must be an existing folder)."""
        path = Path(root).expanduser()
        if not path.is_dir():
            raise WorkspaceError(f"workspace {str(path)!r} is not a folder")
        return cls(path.resolve())

    @classmethod
    def locate(cls, explicit: Path | str | None = None, *, cwd: Path | None = None) -> Workspace:
        """Find the workspace: explicit argument, else $INCIDENT_MCP_WORKSPACE, else walk up to the config."""
        if explicit:
            return cls.at(explicit)
        env = os.environ.get(ENV_VAR)
        if env:
            return cls.at(env)
        start = (cwd or Path.cwd()).resolve()
        for folder in (start, *start.parents):
            if (folder / CONFIG_NAME).is_file():
                return cls(folder)
        raise WorkspaceError(
            f"no {CONFIG_NAME} found in {start} or any parent folder; "
            f"pass --workspace DIR or set {ENV_VAR}"
        )

    @property
    def config_path(self) -> Path:
        """Where company.config.yaml lives."""
        return self.root / CONFIG_NAME

    @property
    def artifacts_dir(self) -> Path:
        """The artifacts/ folder (may not exist yet)."""
        return self.root / "artifacts"

    def path(self, rel: str) -> Path:
        """Resolve ``rel`` inside the workspace, refusing anything that would leave it.

        Symlinks are resolved before the containment check, so a link inside the workspace
        that points outside is refused like ``..`` is.
        """
        parsed = check_relative(rel)
        candidate = self.root.joinpath(*parsed.parts)
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise PathEscapeError(f"path {rel!r} leads outside the workspace")
        return candidate

    def rel(self, path: Path) -> str:
        """The workspace-relative POSIX form of an absolute path inside the workspace."""
        return path.resolve().relative_to(self.root).as_posix() if path.is_absolute() else path.as_posix()

    def contains(self, path: Path) -> bool:
        """Whether ``path`` (after resolving links) is inside the workspace."""
        resolved = path.resolve()
        return resolved == self.root or self.root in resolved.parents

    def state_dir(self) -> Path:
        """Our private folder for locks; created on demand with a .gitignore that ignores it."""
        folder = self.root / STATE_DIR
        if not self.contains(folder):
            raise PathEscapeError(f"{STATE_DIR} leads outside the workspace")
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            atomic_write(ignore, "*\n")
        return folder

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold an exclusive advisory lock named ``name`` (one process or thread at a time)."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise PathEscapeError(f"lock name {name!r} is not a plain name")
        lock_path = self.state_dir() / f"{name}.lock"
        fd = _open_state_file(lock_path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def read_state_file(self, path: Path, limit: int) -> str:
        """The UTF-8 text of a state file under ``.incident-mcp/``, never through a link and at most ``limit``
        bytes (WorkspaceError otherwise); FileNotFoundError when it does not exist."""
        if path.parent.resolve() != self.state_dir().resolve():
            raise PathEscapeError(f"{path.name}: state files live directly under {STATE_DIR}/")
        fd = _open_state_file(path, os.O_RDONLY)
        try:
            data = os.read(fd, limit + 1)
        finally:
            os.close(fd)
        if len(data) > limit:
            raise WorkspaceError(f"{STATE_DIR}/{path.name} is larger than {limit:,} bytes; not one of ours")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise WorkspaceError(f"{STATE_DIR}/{path.name} is not UTF-8 text; not one of ours") from None

    def sweep_temp_files(self) -> list[Path]:
        """Remove temp files left by writers that died; returns what was removed.

        Looks wherever we write: the root itself (the config), our state folder, ``artifacts/``,
        ``standards/`` and ``tools/``; a folder that is a link leading out is left alone.
        """
        removed: list[Path] = []
        pattern = f"*{TEMP_MARK}*"
        found = list(self.root.glob(pattern))
        for name in (STATE_DIR, "artifacts", "standards", "tools"):
            folder = self.root / name
            if folder.is_dir() and self.contains(folder):
                found.extend(folder.rglob(pattern))
        for path in found:
            if path.is_file() and not path.is_symlink() and not _writer_alive(path.name):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
        return removed


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


def _open_state_file(path: Path, flags: int) -> int:
    """Open a lock or state file without following a link at its name, and only if it is a regular file.

    A link planted at ``.incident-mcp/x.lock`` would otherwise make the next writer create (or open) the
    link's target, anywhere on the machine.
    """
    try:
        fd = os.open(path, flags | _NOFOLLOW, 0o600)
    except OSError as err:
        if err.errno == errno.ELOOP or path.is_symlink():
            raise WorkspaceError(f"{STATE_DIR}/{path.name} is a symbolic link; refusing to follow it "
                                 "(remove it, it is not one of ours)") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise WorkspaceError(f"{STATE_DIR}/{path.name} is not a regular file; remove it (it is not one of ours)")
    return fd


def _temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_MARK}")


def _writer_alive(temp_name: str) -> bool:
    match = re.search(r"\.(\d+)\.[0-9a-f]{8}" + re.escape(TEMP_MARK) + "$", temp_name)
    if not match:
        return False
    pid = int(match.group(1))
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fsync_path(path: Path) -> None:
    """Flush a file or folder (a folder: the names in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(target: Path, data: bytes, *, keep_from: Path | None = None) -> Path:
    """A fsynced temp file beside ``target`` holding ``data``; with ``keep_from``, that file's permission
    bits (and owner and group, where we may set them) are copied first, so a replace keeps them."""
    temp = _temp_path(target)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
    try:
        if keep_from is not None:
            try:
                _copy_owner_and_mode(fd, keep_from)
            except BaseException:
                os.close(fd)
                raise
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return temp


def _copy_owner_and_mode(fd: int, source: Path) -> None:
    """Give the open temp file ``source``'s permission bits, and its owner and group when allowed to."""
    try:
        info = source.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        return
    if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(OSError):  # only root may give a file away; a group we belong to is fine
            os.fchown(fd, info.st_uid if os.geteuid() == 0 else -1, info.st_gid)
    os.fchmod(fd, stat.S_IMODE(info.st_mode))


def atomic_write(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` atomically: temp file, fsync, rename, fsync the folder.

    On any failure (disk full, I/O error) the old file is left untouched and the temp file removed. The
    file keeps its permission bits (and owner and group where possible): a record set to 0600 stays 0600.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _write_temp(target, text.encode("utf-8"), keep_from=target)
    try:
        temp.replace(target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_path(target.parent)


def create_exclusive(target: Path, text: str) -> bool:
    """Create ``target`` with ``text`` only if it does not exist yet; False if it already did.

    The content is complete before the name appears (hard link of a fsynced temp file), so a
    reader never sees a half-written new file and two creators can never both win.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _write_temp(target, text.encode("utf-8"))
    try:
        os.link(temp, target)
    except FileExistsError:
        return False
    except OSError as err:
        if err.errno != errno.EEXIST:
            raise
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    fsync_path(target.parent)
    return True


def append_line(ws: Workspace, rel: str, line: str, *, error: type[IncidentMCPError] = WorkspaceError) -> None:
    """Append one line to a log in the workspace in one O_APPEND write (after a newline if the last line was
    torn), never through a symlink, then fsync. The caller holds the log's lock.

    All or nothing: a short write (disk full half-way) or a failed fsync cuts the file back to its old length
    and raises, so no half line is left and no line stands for a change that was rolled back. ``error`` is the
    exception raised when the file cannot be opened.
    """
    path = ws.path(rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    ws.path(rel)  # re-check after creating the folder
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as err:
        if path.is_symlink():
            raise error(f"{rel} is a symlink; refusing to write through it") from None
        raise error(f"cannot open {rel}: {err.strerror}") from None
    try:
        size = os.fstat(fd).st_size
        prefix = b"\n" if size and os.pread(fd, 1, size - 1) != b"\n" else b""
        data = prefix + line.encode("utf-8") + b"\n"
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, f"short write to {rel} (is the disk full?)")
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)
