"""What can be checked before Prefect starts, in well under a second: the inputs and --out.

The inputs found here are handed to the flow, which does not look again.
"""

from __future__ import annotations

from pathlib import Path

from flows.console import EXIT_ENVIRONMENT, fail
from fundwatch.ingest import RunInputs


def check(input_dir: Path, out: Path, force: bool) -> tuple[RunInputs, list[Path]]:
    """The inputs found (fundwatch.ingest.discover) and the output folders the run will replace (a
    county's, or a city's county folders and city/). Fails (exit 2) on what the run would refuse
    later; exit 3 if --out's parent cannot be written.
    """
    from fundwatch.emit import check_replaceable, refuse_or_keep_changed
    from fundwatch.ingest import InputError, discover

    try:
        inputs = discover(input_dir)
        resolved = out.resolve()
        targets = [resolved] if inputs.kind == "county" else \
            [resolved / code for code in inputs.counties] + [resolved / "city"]
        for target in targets:
            check_replaceable(target)
            if not force:
                refuse_or_keep_changed(target, force=False)
    except InputError as error:
        fail(str(error))
    check_writable(resolved.parent if inputs.kind == "county" else resolved)
    return inputs, targets


def check_writable(folder: Path) -> None:
    """Create `folder` if needed and a file in it; one line (exit 3) if the machine does not let us."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        fail(f"cannot write in {folder}: {error.strerror or error}; choose another --out or fix its permissions",
             EXIT_ENVIRONMENT)


def manifest_identity(folder: Path) -> tuple | None:
    """Which manifest.json an output folder holds (inode, mtime): a new one means the run completed it."""
    try:
        st = (folder / "manifest.json").stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns
