"""Writing output files and directories safely.

Rules kept here, for every command that writes (``-o``, ``load --store``, ``site -o``):

* **Atomic.** A file is written to a temporary sibling and renamed over the target; a
  directory is built beside the target and swapped in with one ``renameat2(RENAME_EXCHANGE)``
  call (Linux), so a reader sees the old tree or the new one and never a missing target.
  Where the exchange is not available the old tree is moved aside first (a short gap).
* **Modes.** A new file gets ``0666 & ~umask`` (as ``open()`` would give it); a replaced
  file keeps its mode. Directories get ``0777 & ~umask``.
* **Symlinks.** ``-o LINK`` follows the link: the file it points to is replaced, the link
  stays. A link into a folder that does not exist is refused.
* **Leftovers.** Temporary names carry the writer's process id
  (``.NAME.<pid>.<random>.tmp``, ``.NAME.loading-<pid>``, ``.NAME.old-<pid>``). A writer that
  is killed leaves them behind; the next write to the same target removes those whose
  process is gone.
* **Errors.** Any failure is an :class:`~etom_kg.errors.InputError` naming the path (a
  directory given as a file, a read-only folder, a full disk): never a traceback.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
import threading
from pathlib import Path

from .errors import InputError

_UMASK_LOCK = threading.Lock()
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:(?P<pid1>\d+)\.[^.]+\.tmp|(?:loading|old)-(?P<pid2>\d+)(?:\.nq(?:\.spilled\.\d+)?)?)$")


def current_umask() -> int:
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def output_path(path) -> Path:
    """The path an output option names, checked: not empty, not a directory, symlinks followed."""
    if path is None or str(path).strip() == "":
        raise InputError("empty output path (-o): name a file, or - for standard output")
    path = Path(path)
    if path.is_symlink():
        resolved = Path(os.path.realpath(path))
        if not resolved.parent.is_dir():
            raise InputError(f"{path}: a symbolic link to {resolved}, whose folder does not exist")
        path = resolved
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name (or - for standard output)")
    return path


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(target: Path) -> list[Path]:
    """Remove temporary files and folders that a killed writer of ``target`` left behind."""
    target = Path(target)
    parent = target.absolute().parent
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _LEFTOVER.match(entry.name)
        if not m or m.group("name") != target.name:
            continue
        pid = int(m.group("pid1") or m.group("pid2"))
        if _pid_alive(pid):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            pass
    return removed


def _cannot_write(path: Path, e: OSError) -> InputError:
    reason = e.strerror or str(e)
    if e.errno == errno.ENOSPC:
        reason = "no space left on the device"
    elif e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"permission denied ({e.strerror})"
    return InputError(f"{path}: cannot write: {reason}")


def write_output(path, data: bytes) -> None:
    """Write an output file named by the user (``-o``): checked, atomic, and any failure an
    InputError naming the path."""
    path = output_path(path)
    try:
        write_atomically(path, data)
    except OSError as e:
        raise _cannot_write(path, e) from None


def write_atomically(path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so a reader never
    sees half a file and a failure leaves the old one (OSError on failure). A device or
    pipe (``/dev/null``, ``/dev/stdout``, a FIFO) is written in place: renaming over it
    would replace it. A symlink is followed."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(path, "wb") as f:
            f.write(data)
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~current_umask()
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# --------------------------------------------------------------------------- directories

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False when the system cannot."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_directory(new: Path, target: Path) -> None:
    """Put the finished tree ``new`` at ``target``; the old tree is removed after the swap.

    With RENAME_EXCHANGE there is no moment at which ``target`` is missing."""
    new, target = Path(new), Path(target)
    if not target.exists():
        os.replace(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old tree
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def directory_mode() -> int:
    return 0o777 & ~current_umask()
