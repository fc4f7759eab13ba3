"""The `fundwatch` command: synth, run, demo."""

from __future__ import annotations

import atexit
import os
import sys
import threading
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from flows.console import (EXIT_ENVIRONMENT, EXIT_FAILURE, EXIT_INTERRUPTED, console, err_console,
                           fail as _fail, ranking as _ranking, summary as _summary, verification as _verification)
from flows.preflight import manifest_identity as _manifest_identity
from fundwatch import __version__, interrupt

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="fundwatch: finds improper social-security benefit payments and writes clue lists (问题线索清单).")


def _version(value: bool) -> None:
    if value:
        print(f"fundwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """fundwatch: finds improper social-security benefit payments and writes clue lists (问题线索清单)."""


def _quiet_libraries(verbose: bool) -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not verbose:
        # The task logs (counts only) still go to the Prefect server at INFO; the console shows none
        # of them: a failed task's traceback would reach the terminal, and the CLI prints one line
        # instead and keeps the traceback of an unexpected failure in OUT.error.log.
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


def _preload_heavy_libraries(validate: bool) -> None:
    """Import scikit-learn, splink and the output writers (and Great Expectations when validating) in
    the background while Prefect starts its server.

    Each takes seconds; the temporary server takes 13-25 s to start on two cores, and the main thread
    only waits for it, so they are done by the time the stages need them.
    """

    def load() -> None:
        import importlib

        modules = ("great_expectations", "checks.validation") if validate else ()
        for module in modules + ("sklearn.ensemble", "splink", "pypinyin", "opencc", "fundwatch.matches",
                                 "fundwatch.report", "fundwatch.workbook"):
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - the stage that needs it reports the failure
                return

    threading.Thread(target=load, name="preload", daemon=True).start()


def _start_prefect_server():
    """Start Prefect's temporary server now, if a run will need one (see flows/server.py)."""
    from flows.server import start_if_needed

    try:
        return start_if_needed()
    except OSError as error:
        _fail(f"cannot start Prefect's temporary server: {error}", EXIT_ENVIRONMENT)


def _quiet_prefect_console() -> None:
    """The same as PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL, for when Prefect configured logging already."""
    import logging

    if os.environ.get("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL") != "CRITICAL":
        return
    for logger in (logging.getLogger(), logging.getLogger("prefect")):
        for handler in logger.handlers:
            if type(handler).__name__ == "PrefectConsoleHandler":
                handler.setLevel(logging.CRITICAL)


def _internal_failure(error: BaseException, out: Path) -> None:
    first = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    if isinstance(error, OSError) and error.errno is not None:  # disk full, permissions: the machine, not a bug
        _fail(f"{first}; nothing written to {out}", EXIT_ENVIRONMENT)
    log = out.resolve().with_name(f"{out.name}.error.log")
    try:
        log.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
        os.chmod(log, 0o600)  # a traceback may quote data
    except OSError as unwritable:
        _fail(f"{first} (and the traceback could not be written to {log}: {unwritable.strerror})", EXIT_FAILURE)
    _fail(f"{first} (details in {log})", EXIT_FAILURE)


def _is_city(input_dir: Path) -> bool:
    return input_dir.is_dir() and any(p.is_dir() and p.name.isdigit() and len(p.name) == 6 for p in input_dir.iterdir())


def _run_with_progress(input_dir: Path, out: Path, server, settings=None, inputs=None,
                       dask_address: str | None = None) -> dict:
    """The county or city flow on `input_dir` (a city: 6-digit county folders), with a status line of its stages."""
    from flows.server import using
    from flows.settings import RunOptions
    from fundwatch import progress

    settings = settings or RunOptions()
    with console.status("starting Prefect's temporary server…" if server else "starting Prefect flow…") as status:
        def show(stage: str, message: str) -> None:
            status.update(f"[bold]{escape(stage)}[/]: {escape(message)}")

        progress.subscribe(show)
        try:
            import prefect  # noqa: F401 - configures logging, which _quiet_prefect_console then adjusts

            _quiet_prefect_console()
            if _is_city(input_dir):
                from flows.city import city_run

                flow = city_run
                if dask_address:
                    from flows.city import dask_task_runner

                    flow = city_run.with_options(task_runner=dask_task_runner(dask_address))
                with using(server):
                    return flow(str(input_dir), str(out), settings, inputs)
            from flows.county import county_run

            with using(server):
                return county_run(str(input_dir), str(out), settings, inputs)
        finally:
            progress.unsubscribe(show)


@app.command()
def run(
    input_dir: Annotated[Path, typer.Argument(
        help="a county folder (reference/ inside or beside it) or a city folder of 6-digit county folders")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder; replaced only when the run completes")],
    seed: Annotated[int, typer.Option(help="isolation-forest seed")] = 0,
    validate: Annotated[bool, typer.Option(help="run the Great Expectations suites")] = True,
    keep_database: Annotated[bool, typer.Option(help="keep run.duckdb in the output folder (存档备查)")] = True,
    memory_limit: Annotated[str | None, typer.Option(help="DuckDB memory_limit (default 3GB, or 80% of RAM if less; DuckDB spills the rest to disk), e.g. 8GB")] = None,
    threads: Annotated[int | None, typer.Option(help="DuckDB threads")] = None,
    temp_directory: Annotated[str | None, typer.Option(help="DuckDB spill folder")] = None,
    mask: Annotated[bool, typer.Option(help="also write clues_masked.csv/.xlsx for wider circulation")] = False,
    dask_address: Annotated[str | None, typer.Option(
        help="city runs: run the counties on this Dask scheduler (tcp://host:8786)")] = None,
    history: Annotated[Path | None, typer.Option(
        help="history database: compare with the previous run, carry 核查结果 forward (see `feedback`)")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="replace an output folder whose workbook or CSVs were filled in (a copy is kept beside it)")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show Prefect's logs")] = False,
) -> None:
    """Run every check on a county folder, or on a city folder of county folders (市县联动), into OUT."""
    _quiet_libraries(verbose)
    published: dict[Path, tuple | None] = {}
    interrupt.install(on_timeout=lambda: interrupt.force_exit(_interrupted_message(published)))
    server = None
    try:
        if dask_address and not os.environ.get("PREFECT_API_URL"):
            _fail("--dask-address needs a Prefect server the Dask workers can reach: start one "
                  "(prefect server start) and set PREFECT_API_URL")
        from flows import preflight
        from flows.settings import RunOptions
        from fundwatch.db import EngineSettings

        settings = RunOptions(seed=seed, validate=validate, keep_database=keep_database, mask=mask,
                              engine=EngineSettings(memory_limit, threads, temp_directory),
                              history=str(history) if history else None, force=force)
        inputs, targets = preflight.check(input_dir, out, force)
        published.update({target: _manifest_identity(target) for target in targets})
        server = _start_prefect_server()
        _preload_heavy_libraries(validate)
        from flows.server import ServerFailed
        from fundwatch.ingest import InputError

        try:
            result = _run_with_progress(input_dir, out, server, settings, inputs, dask_address)
        except Exception as error:  # noqa: BLE001 - one line for the user, the traceback to a log file
            if interrupt.requested():  # what the interrupt broke (a DuckDB statement, a connection)
                raise interrupt.Interrupted(interrupt.signal_name()) from error
            if isinstance(error, InputError):
                _fail(str(error))
            if isinstance(error, ServerFailed):
                _fail(str(error), EXIT_ENVIRONMENT)
            _internal_failure(error, out)
    except BaseException as error:
        if _is_interrupt(error):
            if server is not None and not server.ready:  # no run recorded on it yet: nothing to wait for
                server.stop(grace=0.5)
            _stop_interrupted(published)
        raise
    _summary(result)
    _ranking(result)
    _verification(result)


def _interrupted_message(published: dict[Path, tuple | None]) -> str:
    kept = [str(folder) for folder, before in published.items()
            if _manifest_identity(folder) is not None and _manifest_identity(folder) != before]
    return "interrupted; nothing written" if not kept else \
        f"interrupted; kept the complete outputs in {', '.join(kept)}; nothing else written"


def _is_interrupt(error: BaseException) -> bool:
    if isinstance(error, interrupt.Interrupted):
        return True
    exceptions = sys.modules.get("prefect.exceptions")  # not imported: Prefect cannot have raised it
    return exceptions is not None and isinstance(error, exceptions.TerminationSignal)


def _stop_interrupted(published: dict[Path, tuple | None]) -> None:
    """The run has unwound (Prefect recorded the crash, staging folders are gone): say what is left, exit 130."""
    interrupt.run_cleanups()
    err_console.print(escape(_interrupted_message(published)), highlight=False, soft_wrap=True)
    interrupt.finished()
    raise typer.Exit(EXIT_INTERRUPTED)


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="folder to write the synthetic city inputs to")],
    counties: Annotated[int, typer.Option(help="number of county folders")] = 3,
    persons: Annotated[int, typer.Option(help="recipients across all counties")] = 3000,
    months: Annotated[int, typer.Option(help="months of payments")] = 24,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
) -> None:
    """Write realistic synthetic exports (with planted anomalies and ground_truth.csv) for a city."""
    from fundwatch.synth import synth as make

    try:
        with console.status("generating synthetic exports…"):
            summary = make(out, counties=counties, persons=persons, months=months, seed=seed)
    except ValueError as error:  # an option out of range (synth says which)
        _fail(str(error))
    console.print(f"synthetic city inputs written to {escape(str(out))}: {summary.get('rows', summary)}")


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="where the demo inputs and outputs go")] = Path("demo"),
    persons: Annotated[int, typer.Option(help="recipients in the demo county")] = 4000,
    months: Annotated[int, typer.Option(help="months of payments")] = 24,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Generate demo data and run the county flow on its first county."""
    _quiet_libraries(verbose)
    server = _start_prefect_server()
    _preload_heavy_libraries(validate=True)
    from fundwatch.synth import synth as make

    inputs = folder / "inputs"
    with console.status("generating demo exports…"):
        make(inputs, counties=2, persons=persons * 2, months=months, seed=0)
    county = sorted(p for p in inputs.iterdir() if p.is_dir() and p.name.isdigit())[0]
    out = folder / "out" / county.name
    result = _run_with_progress(county, out, server)
    _summary(result)
    console.print(f"inputs: {inputs}\noutputs: {out} (clues.csv, clues.xlsx, clue_evidence.csv, scores.csv, "
                  "quarantine.csv, report.html, manifest.json, data_docs/)")


@app.command()
def feedback(
    file: Annotated[Path, typer.Argument(help="a clue list the team filled in (clues.xlsx or clues.csv)")],
    history: Annotated[Path, typer.Option("--history", help="the history database (a DuckDB file)")],
    run_dir: Annotated[Path | None, typer.Option(
        "--run", help="the output folder of the run the clue list came from, when that run was made without "
                      "--history (found by itself when the file is in that folder)")] = None,
) -> None:
    """Store what verification found (核查状态, 核查结果, 整改情况, 追回金额 and the workflow: 核查人, 核查期限,
    处理方式, 应追回金额, 已追回金额, 销号人, 销号日期) in the history database."""
    from fundwatch.history import import_feedback
    from fundwatch.ingest import InputError

    if not file.is_file():
        _fail(f"{file}: no such file")
    try:
        report = import_feedback(file, history, run_dir=run_dir)
    except InputError as error:
        _fail(str(error))
    if not report.accepted:
        table = Table(title=f"{file.name}: rows that cannot be stored (nothing was stored)")
        for column in ("sheet", "row", "线索编号", "problem"):
            table.add_column(column)
        for sheet, row, clue, problem in report.problems:
            table.add_row(str(sheet), str(row), clue, problem)
        console.print(table)
        if report.hint:
            _fail(report.hint, 1)
        _fail(f"{file}: {len(report.problems)} rows rejected; correct them and import the file again", 1)
    if report.registered:
        console.print(f"the run {escape(report.registered)} was made without --history: its clues are now in {history}")
    console.print(f"{report.rows} filled rows: {report.new} new, {len(report.updated)} updated, "
                  f"{report.unchanged} unchanged → {history}")
    for clue, old, new in report.updated:
        console.print(f"  {clue}: {old} → {new}")


@app.command()
def serve(
    schedules: Annotated[Path, typer.Argument(help="schedules file (see schedules.example.toml)")],
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Register the scheduled runs of SCHEDULES as Prefect deployments and serve them until stopped."""
    _quiet_libraries(verbose)
    from flows.schedules import ScheduleError, load_schedules, serve_schedules

    try:
        runs = load_schedules(schedules)
    except ScheduleError as error:
        _fail(str(error))
    table = Table(title=f"scheduled runs from {schedules}")
    for column in ("name", "kind", "cron", "timezone", "input", "output"):
        table.add_column(column)
    for r in runs:
        table.add_row(r.name, r.kind, r.cron, r.timezone, str(r.input), str(r.output))
    console.print(table)
    if not os.environ.get("PREFECT_API_URL"):
        console.print("[yellow]PREFECT_API_URL is not set: schedules need a running server "
                      "(`prefect server start`, then `export PREFECT_API_URL=http://127.0.0.1:4200/api`).[/]")
    serve_schedules(schedules)


def main() -> None:  # pragma: no cover - console entry point
    """The `fundwatch` command: the app, and an exit without the interpreter's final teardown.

    With Prefect, Great Expectations, scikit-learn and pandas loaded, freeing every module and
    object at interpreter exit takes over a second after the work is done. The handler registered
    here, first, runs last: after threading's exit hooks (Prefect sending its last events and
    logs) and every other atexit handler (the temporary server's stop, logging's flush); it flushes
    the standard streams and ends the process with the app's exit code.
    """
    code = [1]

    def exit_now() -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code[0])

    atexit.register(exit_now)
    try:
        app()
    except SystemExit as stop:
        code[0] = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        raise
    code[0] = 0


if __name__ == "__main__":  # pragma: no cover
    main()
