"""Prefect's temporary local server, started the moment a run begins rather than when its flow does.

With no PREFECT_API_URL, a Prefect flow starts a temporary server (13-25 s on two cores) the first
time it needs the API, and waits for it: for a short run that wait is most of the wall time. The
`fundwatch` command instead starts the same server -- the command, environment and settings of
Prefect's own ``SubprocessASGIServer`` -- as its first step, so that the server boots on one core
while the run imports its libraries on the other. The flows then reach it through PREFECT_API_URL
like any Prefect server: they stay ordinary Prefect flows with every run, task run, log and artifact
recorded (in PREFECT_HOME's database, as with Prefect's own temporary server). It is stopped at exit,
after Prefect has sent its last events.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

SERVER_ENVIRONMENT = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
PORT_TAKEN_EXIT_CODE = 3  # uvicorn's exit code when it cannot bind
POLL_SECONDS = 0.1
# At exit Prefect's clients may still hold a connection open (the events websocket); without a
# bound, uvicorn waits for it and the stop below ends in a kill 5 s later (seen in 1 run of 5).
GRACEFUL_SHUTDOWN_SECONDS = 1


class ServerFailed(RuntimeError):
    pass


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TemporaryServer:
    """One `uvicorn prefect.server.api.server:create_app` process on a free local port."""

    def __init__(self, settings_environment: dict[str, str], startup_timeout: float):
        self.settings_environment = settings_environment
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        import prefect

        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on", "--timeout-graceful-shutdown", str(GRACEFUL_SHUTDOWN_SECONDS)],
            env={**os.environ, **SERVER_ENVIRONMENT, **self.settings_environment},
        )

    def wait_until_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                code = self.process.poll()
                if code == PORT_TAKEN_EXIT_CODE:  # another program took the port meanwhile
                    self.start()
                    continue
                if code is not None:
                    raise ServerFailed(f"Prefect's temporary server exited with code {code} before it was ready")
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(POLL_SECONDS)
        self.stop()
        raise ServerFailed(f"Prefect's temporary server was not ready after {self.startup_timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def start_if_needed() -> TemporaryServer | None:
    """Start a temporary server when Prefect would start one (no API URL, ephemeral servers allowed).

    Its stop is registered with atexit now, before Prefect registers the draining of its event and
    log queues, so it runs after them (atexit runs handlers last-in, first-out) -- Prefect orders its
    own temporary server the same way.
    """
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        return None
    server = TemporaryServer(settings.to_environment_variables(exclude_unset=True),
                             settings.server.ephemeral.startup_timeout_seconds)
    server.start()
    atexit.register(server.stop)
    return server


@contextmanager
def using(server: TemporaryServer | None) -> Iterator[None]:
    """Point Prefect at the server once it answers (nothing to do without one)."""
    if server is None:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server.wait_until_ready()
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield
