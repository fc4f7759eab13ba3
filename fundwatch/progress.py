"""Stage events of a run, for whoever shows progress (the CLI's rich display); logs stay in Prefect."""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[str, str], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def report(stage: str, message: str) -> None:
    for listener in list(_listeners):
        listener(stage, message)
