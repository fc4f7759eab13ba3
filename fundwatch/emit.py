"""Writing a run's output files: the CSVs inspection teams open in Excel/WPS, and manifest.json.

CSV files are UTF-8 with a BOM (so Excel shows Chinese), with Chinese headers, and every text cell
that a spreadsheet would read as a formula is prefixed with an apostrophe: one starting with =, +,
@, tab or CR, or with - unless it is a plain number (-300, -1.5; "-2+3" is a formula).
"""

from __future__ import annotations

import csv
import ctypes
import errno
import glob
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import duckdb

from fundwatch.clue_columns import CLUE_COLUMNS, SEVERITY_ORDER, TEXT_CLUE_COLUMNS
from fundwatch.db import run_sql, sql_literal

BOM = b"\xef\xbb\xbf"
PRIVATE_FILE_MODE = 0o600

SPREADSHEET_SAFE_MACRO = """
create or replace macro fw_cell(s) as
    case when s is null then null
         when left(s, 1) in ('=', '+', '@', chr(9), chr(13)) then '''' || s
         when left(s, 1) = '-' and not regexp_full_match(s, '-[0-9]+(\\.[0-9]+)?') then '''' || s
         else s end;
"""


def _copy_csv_with_bom(con: duckdb.DuckDBPyConnection, query: str, target: Path, step: str) -> None:
    plain = target.with_suffix(".nobom.csv")
    run_sql(con, step, f"copy ({query}) to {sql_literal(plain)} (format csv, header true, quote '\"')")
    with open(target, "wb") as out, open(plain, "rb") as src:
        out.write(BOM)
        shutil.copyfileobj(src, out, 1 << 20)
    plain.unlink()


def clues_query() -> str:
    select = []
    for header, column in CLUE_COLUMNS:
        if column in TEXT_CLUE_COLUMNS:
            expr = f"fw_cell({column})"
        elif column in ("period_start", "period_end", "payment_count"):
            expr = f"{column}::varchar"
        elif column == "amount":
            expr = "printf('%.2f', amount)"
        elif column == "score":
            expr = "case when score is null then null else printf('%.4f', score) end"
        elif column in ("status", "finding", "rectification"):
            expr = f"fw_cell({column})"
        else:
            expr = column
        select.append(f'{expr} as "{header}"')
    return (f"select {', '.join(select)} from clues "
            f"order by {SEVERITY_ORDER}, amount desc, clue_id")


def write_csvs(con: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    con.execute(SPREADSHEET_SAFE_MACRO)
    queries = {
        "clues.csv": clues_query(),
        "clue_evidence.csv": (
            'select clue_id as "线索编号", fw_cell(payment_id) as "发放流水号", fw_cell(source_file) as "来源文件", '
            'source_line as "来源行号" from clue_evidence order by clue_id, source_file, source_line'
        ),
        "scores.csv": (
            'select fw_cell(person_id) as "个人编号", fw_cell(id_number) as "公民身份号码", '
            'region_code as "行政区划代码", printf(\'%.4f\', score) as "异常分值", top_features as "主要异常特征" '
            "from scores order by score desc, id_number"
        ),
        "quarantine.csv": (
            'select fw_cell(source_file) as "文件", source_line as "行号", column_name as "列", '
            'fw_cell(replace(value, chr(0), \'\u2400\')) as "值", reason as "原因", table_name as "表" '
            "from quarantine order by source_file, source_line"
        ),
    }
    # clue_changes.csv, rectification.csv, recheck.csv, overdue.csv: fundwatch.history.write_history_csvs
    counts = {}
    for name, query in queries.items():
        _copy_csv_with_bom(con, query, out_dir / name, f"writing {name}")
        counts[name] = con.execute(f"select count(*) from ({query})").fetchone()[0]
    for name in ("clues.csv", "clue_evidence.csv", "scores.csv", "quarantine.csv"):
        os.chmod(out_dir / name, PRIVATE_FILE_MODE)
    return counts


def write_management_csv(con: duckdb.DuckDBPyConnection, out_dir: Path) -> int:
    """management.csv (管理问题汇总): CLUES.md's columns; written where the inputs allow (see manifest)."""
    from fundwatch.management import management_query

    con.execute(SPREADSHEET_SAFE_MACRO)
    query = management_query()
    _copy_csv_with_bom(con, query, out_dir / "management.csv", "writing management.csv")
    os.chmod(out_dir / "management.csv", PRIVATE_FILE_MODE)
    return con.execute(f"select count(*) from ({query})").fetchone()[0]


def spreadsheet_safe(value: object) -> object:
    """The Python twin of the fw_cell macro, for files written from Python."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=+@\t\r" or (value[0] == "-" and not re.fullmatch(r"-[0-9]+(\.[0-9]+)?", value)):
        return "'" + value
    return value


def write_masked_clues_csv(con: duckdb.DuckDBPyConnection, target: Path) -> int:
    """clues_masked.csv: clues.csv with ID numbers, names, accounts and person ids masked."""
    from fundwatch.masking import clue_rows, masked_clue

    rows = [masked_clue(c) for c in clue_rows(con)]
    with open(target, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([header for header, _ in CLUE_COLUMNS])
        for clue in rows:
            writer.writerow([spreadsheet_safe(_masked_cell(clue, column)) for _, column in CLUE_COLUMNS])
    return len(rows)


def _masked_cell(clue: dict, column: str) -> object:
    value = clue.get(column)
    if value is None:
        return ""
    if column == "amount":
        return f"{value:.2f}"
    if column == "score":
        return f"{value:.4f}"
    return value


def write_manifest(manifest: dict, out_dir: Path) -> None:
    """manifest.json, with the sha256 of every CSV and workbook beside it (see changed_outputs)."""
    manifest = {**manifest, "output_sha256": {p.name: file_sha256(p) for p in sorted(out_dir.iterdir())
                                              if p.is_file() and p.suffix in EDITABLE_SUFFIXES}}
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )


# Files a team may fill in or edit (核查状态, 核查结果 in clues.xlsx or a CSV): a rerun must not lose them.
EDITABLE_SUFFIXES = (".csv", ".xlsx")
KEPT_INFIX = ".filled-"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def changed_outputs(out_dir: Path) -> list[str]:
    """The workbooks and CSVs of an output folder that differ from what its run wrote (manifest.json's hashes)."""
    try:
        recorded = json.loads((Path(out_dir) / "manifest.json").read_text(encoding="utf-8")).get("output_sha256")
    except (OSError, ValueError, AttributeError):
        return []
    changed = []
    for name, digest in sorted((recorded or {}).items()):
        path = Path(out_dir) / name
        try:
            if path.is_file() and file_sha256(path) != digest:
                changed.append(name)
        except OSError:
            changed.append(name)
    return changed


def refuse_or_keep_changed(out_dir: Path, force: bool) -> Path | None:
    """Refuse to replace an output folder whose workbook or CSVs were filled in; with force, copy them aside first.

    The copies go to ``OUT.filled-<local time>/`` beside the folder (never removed by fundwatch).
    """
    from fundwatch.ingest import InputError

    out_dir = Path(out_dir)
    changed = changed_outputs(out_dir)
    if not changed:
        return None
    if not force:
        raise InputError(
            f"{out_dir}: {', '.join(changed)} changed since the run wrote it (filled in by a team?); "
            f"a rerun would replace it: store the findings first (fundwatch feedback "
            f"{out_dir / changed[0]} --history HISTORY.duckdb), or rerun with --force to keep a copy "
            f"in {out_dir.name}{KEPT_INFIX}<time>/ beside it")
    import datetime as dt

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = out_dir.with_name(f"{out_dir.name}{KEPT_INFIX}{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = out_dir.with_name(f"{out_dir.name}{KEPT_INFIX}{stamp}-{n}")
    partial = kept.with_name(f".{kept.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    for name in changed:
        shutil.copy2(out_dir / name, partial / name)
        os.chmod(partial / name, PRIVATE_FILE_MODE)
    partial.rename(kept)
    return kept


# Output files that hold personal data (ID numbers, names, accounts): owner-only, mode 0600.
PRIVATE_OUTPUTS = ("clues.csv", "clue_evidence.csv", "scores.csv", "quarantine.csv", "clues.xlsx", "run.duckdb",
                   "management.csv")
PREVIOUS_SUFFIX = ".previous"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def staging_path(out_dir: Path) -> Path:
    """The hidden folder a run assembles its outputs in, beside the output folder."""
    return out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}")


def claim_output(out_dir: Path, force: bool = False) -> tuple[Path, Path | None]:
    """Lock the output folder for this process, clear what dead runs left beside it, make the staging folder.

    The lock (``OUT.lock``, fundwatch.locking) is held until release_output() or the process's end,
    so a second run on the same folder is refused at once (locking.Busy). Under the lock no other
    live run can own a ``.OUT.partial-*`` folder, so every one found is a killed run's and removed;
    an ``OUT.previous`` left by a publish interrupted between its two renames is put back.
    The staging folder is mode 0700 until publish. A folder whose workbook or CSVs a team filled
    in is refused, or with `force` its changed files are kept aside (refuse_or_keep_changed);
    returns the staging folder and where they were kept.
    """
    from fundwatch import locking

    out_dir = Path(out_dir)
    locking.hold(out_dir, f"output folder {out_dir}")
    try:
        recover(out_dir)
        check_replaceable(out_dir)
        kept = refuse_or_keep_changed(out_dir, force)
        staging = staging_path(out_dir)
        staging.mkdir(mode=0o700)
    except BaseException:
        locking.give_back(out_dir)
        raise
    return staging, kept


def release_output(out_dir: Path) -> None:
    from fundwatch import locking

    locking.give_back(out_dir)


def recover(out_dir: Path) -> list[str]:
    """Remove the staging folders of dead runs; restore an output folder a killed publish left aside."""
    removed = []
    for stale in sorted(out_dir.parent.glob(f".{glob.escape(out_dir.name)}.partial-*")):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
        removed.append(stale.name)
    previous = out_dir.with_name(out_dir.name + PREVIOUS_SUFFIX)
    if previous.is_dir():
        if out_dir.exists():
            shutil.rmtree(previous)
        else:
            previous.rename(out_dir)
    return removed


def check_replaceable(out_dir: Path) -> None:
    """Refuse to replace anything but an earlier output folder (or an empty folder)."""
    from fundwatch.ingest import InputError

    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise InputError(f"{out_dir}: output path exists and is not a folder; choose another --out")
    if out_dir.is_dir() and not (out_dir / "manifest.json").is_file() and any(out_dir.iterdir()):
        raise InputError(f"{out_dir}: folder is not empty and is not a fundwatch output folder (no manifest.json); "
                         "choose another --out")


def _default_folder_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where it is not available."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(b))


def publish(staging_dir: Path, out_dir: Path) -> None:
    """Move a finished output folder into place; a previous one is replaced only once the new one is whole.

    Files holding personal data are made 0600 first. A new folder is renamed into place; an existing
    one is swapped with the new in one atomic step where the system allows (Linux renameat2), so the
    output folder is at every moment either the old complete one or the new complete one, and the
    old one, now at the staging name, is removed (a kill during that removal leaves a stale
    ``.OUT.partial-*`` that the next run clears). Elsewhere the old folder is renamed to
    ``OUT.previous`` first; a kill between the two renames leaves ``OUT.previous``, which the next
    run's claim_output() puts back.
    """
    staging_dir, out_dir = Path(staging_dir), Path(out_dir)
    for name in PRIVATE_OUTPUTS:
        if (staging_dir / name).exists():
            os.chmod(staging_dir / name, PRIVATE_FILE_MODE)
    os.chmod(staging_dir, _default_folder_mode())
    if not out_dir.exists():
        staging_dir.rename(out_dir)
        return
    check_replaceable(out_dir)
    if _exchange(staging_dir, out_dir):
        shutil.rmtree(staging_dir)
        return
    previous = out_dir.with_name(out_dir.name + PREVIOUS_SUFFIX)
    if previous.exists():
        shutil.rmtree(previous)
    out_dir.rename(previous)
    staging_dir.rename(out_dir)
    shutil.rmtree(previous)
