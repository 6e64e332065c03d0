"""Tables derived from the field's libraries, kept on disk between processes.

Some tables take a second or more to derive (the ISO 20275 legal forms read through rigour,
say) while a command-line screen should answer in well under a second. They are pickled
under the user's cache directory (``$XDG_CACHE_HOME/ownergraph``, else ``~/.cache``), named
by the versions of the packages they were derived from and a hash of the source files that
derive them, so a new version or changed code derives them again; a cache that cannot be
written or read is derived in memory instead.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle  # noqa: S403 - our own cache files, in the user's own cache directory
import tempfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ownergraph"


@functools.cache
def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "none"


def derived(name: str, packages: tuple[str, ...], sources: tuple[Path, ...],
            build: Callable[[], T]) -> T:
    """``build()``'s result, from the cache when the same package versions and the same
    source files made it."""
    code = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()
    stamp = "|".join(f"{p}={_version(p)}" for p in packages) + f"|{code}|{name}"
    path = cache_dir() / f"{name}-{hashlib.sha256(stamp.encode()).hexdigest()[:16]}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)  # type: ignore[no-any-return]  # noqa: S301
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(out.name, path)
    except OSError:
        pass  # a read-only home: derived again next time
    return value
