"""Stopping a run on SIGINT or SIGTERM: quickly, leaving nothing half-written.

`install()` (the CLI's first step) makes both signals raise `Interrupted` in the main thread, where
the run unwinds like any failure: the Prefect flow and task runs are recorded as crashed, the
staging folder is removed and the output folder's lock given back. The interrupt may arrive while
the main thread is inside a long DuckDB statement, where Python cannot run a handler; so a watcher
thread, woken through the signal wakeup fd, also interrupts every open DuckDB connection
(`track()`). If unwinding has not finished `UNWIND_SECONDS` after the signal, the watcher removes what
the registered cleanups name and ends the process itself (exit 130); so it does if the process has
not ended `EXIT_SECONDS` after the CLI reported the interrupt (threads still finishing their work).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import weakref
from collections.abc import Callable

EXIT_CODE = 130
UNWIND_SECONDS = 15.0  # from the signal to the CLI's message (Prefect records the crash, staging removed)
EXIT_SECONDS = 2.0  # from the message to the end of the process (Prefect sends its last events)
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread on SIGINT or SIGTERM (a KeyboardInterrupt, so Prefect records a crash)."""


_connections: weakref.WeakSet = weakref.WeakSet()
_cleanups: dict[object, Callable[[], None]] = {}
_guard = threading.Lock()
_received = threading.Event()
_first_signal: list[int] = []
_raised: list[int] = []
_unwound = threading.Event()


def requested() -> bool:
    return _received.is_set()


def signal_name() -> str:
    return signal.Signals(_first_signal[0]).name if _first_signal else "interrupt"


def track(connection) -> None:
    """Remember a DuckDB connection so that an interrupt can stop the statement it runs."""
    try:
        _connections.add(connection)
    except TypeError:
        pass


def on_interrupt(key: object, cleanup: Callable[[], None]) -> None:
    """Run `cleanup` if the process has to end before the run could unwind (see module docstring)."""
    with _guard:
        _cleanups[key] = cleanup


def forget(key: object) -> None:
    with _guard:
        _cleanups.pop(key, None)


def _handler(signum: int, frame) -> None:
    # Only the main thread raises, once; the watcher thread may have seen the signal first (through
    # the wakeup fd) and must not keep this from raising.
    if _raised:
        return  # already unwinding: a second Ctrl-C (or the group's SIGTERM after SIGINT) changes nothing
    _raised.append(signum)
    if not _first_signal:
        _first_signal.append(signum)
    _received.set()
    raise Interrupted(signal.Signals(signum).name)


def _stop_statements() -> None:
    for connection in list(_connections):
        try:
            connection.interrupt()
        except Exception:  # noqa: BLE001, S110 - a closed connection has nothing to stop
            pass


def _watch(read_fd: int, on_timeout: Callable[[], None]) -> None:
    wanted = {int(s) for s in SIGNALS}
    while True:
        try:
            data = os.read(read_fd, 64)
        except InterruptedError:
            continue
        if not data:
            return
        arrived = [byte for byte in data if byte in wanted]
        if arrived:
            break
    if not _first_signal:
        _first_signal.append(arrived[0])
    _received.set()
    _stop_statements()
    if not _unwound.wait(UNWIND_SECONDS):
        on_timeout()
    time.sleep(EXIT_SECONDS)
    os._exit(EXIT_CODE)


def finished() -> None:
    """The run has unwound and the CLI said so: the process ends now, or at the latest EXIT_SECONDS later."""
    _unwound.set()


def run_cleanups() -> None:
    with _guard:
        cleanups = list(_cleanups.values())
        _cleanups.clear()
    for cleanup in cleanups:
        try:
            cleanup()
        except Exception:  # noqa: BLE001, S110 - best effort on the way out
            pass


def install(on_timeout: Callable[[], None]) -> None:
    """Route SIGINT and SIGTERM to `Interrupted` (main thread only); `on_timeout` ends a stuck process."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    for signum in SIGNALS:
        signal.signal(signum, _handler)
    threading.Thread(target=_watch, args=(read_fd, on_timeout), name="interrupt-watch", daemon=True).start()


def force_exit(message: str) -> None:
    """Last resort of the watcher: remove staging folders, say so, and end the process now."""
    run_cleanups()
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_CODE)
