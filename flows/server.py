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
from contextlib import contextmanager
from pathlib import Path

SERVER_ENVIRONMENT = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
POLL_SECONDS = 0.1
# At exit Prefect's clients may still hold a connection open (the events websocket); without a
# bound, uvicorn waits for it and the stop below ends in a kill 5 s later (seen in 1 run of 5).
GRACEFUL_SHUTDOWN_SECONDS = 1
# A server still starting (migrating its database) takes SIGTERM only once started: it is killed
# after this long.
STOP_SECONDS = 3


class ServerFailed(RuntimeError):
    """The temporary server could not be started: an environment failure (exit 3), not bad input."""


# The server runs in a session of its own, so that a Ctrl-C (SIGINT to the terminal's process group)
# or a SIGTERM to the run's group reaches the run only: the run then records the interrupted flow on
# the server before stopping it. It must still die with the run however the run ends (SIGKILL
# included): the launcher asks the kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG, kept
# across exec), checks the parent is still there, and becomes uvicorn.
LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)\n"
    "if os.getppid() != int(sys.argv[1]): sys.exit(0)\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'uvicorn', *sys.argv[2:]])\n"
)
# A busy machine (two cores running other jobs) can take a minute to start the server; Prefect's own
# default (20 s) made scheduled runs fail there. An explicit PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS wins.
DEFAULT_STARTUP_TIMEOUT = 180.0
STARTUP_ATTEMPTS = 3  # a server that exits before it is ready is started again, after 1 s, then 2 s
TIMEOUT_SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
ADVICE = (f"raise {TIMEOUT_SETTING} (seconds), or start a server once (`prefect server start`) "
          "and set PREFECT_API_URL=http://127.0.0.1:4200/api")


def listening_socket() -> socket.socket:
    """A socket bound to a free local port and listening: handed to uvicorn, so no other program can take the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class TemporaryServer:
    """One `uvicorn prefect.server.api.server:create_app` process on a free local port."""

    def __init__(self, settings_environment: dict[str, str], startup_timeout: float):
        self.settings_environment = settings_environment
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.socket: socket.socket | None = None
        self.port = 0
        self.attempts = 0
        self.ready = False

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        import prefect

        if self.socket is None:
            self.socket = listening_socket()
            self.port = self.socket.getsockname()[1]
        self.attempts += 1
        fd = self.socket.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(os.getpid()), "--app-dir", str(Path(prefect.__file__).parent.parent),
             "--factory", "prefect.server.api.server:create_app", "--fd", str(fd),
             "--log-level", "error", "--lifespan", "on", "--timeout-graceful-shutdown", str(GRACEFUL_SHUTDOWN_SECONDS)],
            env={**os.environ, **SERVER_ENVIRONMENT, **self.settings_environment},
            pass_fds=(fd,), start_new_session=True,
        )

    def wait_until_ready(self) -> None:
        import httpx

        started = time.monotonic()
        deadline = started + self.startup_timeout
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                code = self.process.poll()
                if code is not None:
                    if self.attempts >= STARTUP_ATTEMPTS:
                        self.stop()
                        raise ServerFailed(f"Prefect's temporary server exited with code {code} before it was ready "
                                           f"({self.attempts} attempts); {ADVICE}")
                    time.sleep(self.attempts)
                    self.start()
                    continue
                try:
                    if client.get(f"{self.api_url}/health", timeout=5).status_code == 200:
                        # the server has its own copy; without ours, a server that dies refuses connections
                        self.socket.close()
                        self.socket = None
                        self.ready = True
                        return
                except httpx.TransportError:
                    pass
                time.sleep(POLL_SECONDS)
        self.stop()
        raise ServerFailed(f"Prefect's temporary server was not ready after {self.startup_timeout:.0f} s "
                           f"(is the machine busy?); {ADVICE}")

    def stop(self, grace: float = STOP_SECONDS) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self.socket is not None:
            self.socket.close()
            self.socket = None


def startup_timeout(settings) -> float:
    """Prefect's setting when it is set explicitly, else DEFAULT_STARTUP_TIMEOUT (Prefect's default, 20 s, is too short)."""
    timeout = settings.server.ephemeral.startup_timeout_seconds
    return timeout if TIMEOUT_SETTING in os.environ else max(timeout, DEFAULT_STARTUP_TIMEOUT)


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
    server = TemporaryServer(settings.to_environment_variables(exclude_unset=True), startup_timeout(settings))
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
