"""Finding the input files of a county run (a county folder) or a city run (a folder of county folders)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from fundwatch.ingest.files import InputError, InputFile, RunInputs
from fundwatch.ingest.specs import TableSpec, table_specs


EXTENSIONS = {".csv", ".txt", ".tsv", ".xlsx", ".parquet"}


def county_code(name: str) -> str | None:
    """The 6-digit division code a folder is named with (full-width digits read as digits), or None."""
    code = unicodedata.normalize("NFKC", name).strip()
    return code if re.fullmatch(r"[0-9]{6}", code) else None


def match_table(file_name: str, specs: dict[str, TableSpec]) -> list[str]:
    stem = Path(file_name).stem.lower()
    hits = []
    for spec in specs.values():
        for key in spec.file_names:
            if key.isascii():
                if re.search(rf"(?<![a-z]){re.escape(key)}(?![a-z])", stem):
                    hits.append(spec.name)
                    break
            elif key in stem:
                hits.append(spec.name)
                break
    return hits


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(*([".."] + list(path.relative_to(root.parent).parts))).as_posix()


def _candidate_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith((".", "~$")) and (p.suffix.lower() in EXTENSIONS or p.suffix.lower() == ".xls")
    )


def _collect(folder: Path, scope: str, county: str | None, root: Path, specs, files, ignored) -> None:
    for path in _candidate_files(folder):
        rel = _relative(path, root)
        tables = match_table(path.name, specs)
        if path.is_dir():
            if tables:
                raise InputError(f"{rel}: is a folder, not a file")
            ignored.append(f"{rel}: a folder; files in subfolders are not read")
            continue
        if not path.exists():
            raise InputError(f"{rel}: broken link or unreadable file")
        if not path.is_file():
            raise InputError(f"{rel}: not a regular file")
        if path.suffix.lower() == ".xls":
            raise InputError(f"{rel}: legacy .xls workbooks are not supported; save it as .xlsx")
        if len(tables) > 1:
            raise InputError(f"{rel}: file name matches several tables ({', '.join(tables)}); rename it")
        if not tables:
            ignored.append(f"{rel}: not an input table by its name")
            continue
        if specs[tables[0]].scope != scope:
            ignored.append(f"{rel}: {tables[0]} belongs in {'reference/' if scope == 'county' else 'a county folder'}")
            continue
        files.append(InputFile(path=path, rel=rel, table=tables[0], county=county))


def discover(input_dir: Path) -> RunInputs:
    """The files of a county run (a county folder) or a city run (a folder of county folders)."""
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise InputError(f"{input_dir}: input folder does not exist or is not a folder")
    specs = table_specs()
    county_dirs: dict[str, Path] = {}
    for d in sorted(input_dir.iterdir()):
        code = county_code(d.name) if d.is_dir() else None
        if code is None:
            continue
        if code in county_dirs:
            raise InputError(f"{d.name}: names the same county {code} as folder {county_dirs[code].name}; keep one")
        county_dirs[code] = d
    if county_dirs:
        kind, counties, reference_candidates = "city", county_dirs, [input_dir / "reference"]
    else:
        code = county_code(input_dir.name) or ""
        kind, counties = "county", {code: input_dir}
        reference_candidates = [input_dir / "reference", input_dir.parent / "reference"]
    reference_dir = next((d for d in reference_candidates if d.is_dir()), None)
    files: list[InputFile] = []
    ignored: list[str] = []
    for code, folder in counties.items():
        _collect(folder, "county", code, input_dir, specs, files, ignored)
    if reference_dir is not None:
        _collect(reference_dir, "reference", None, input_dir, specs, files, ignored)
    for wanted in ("payments", "recipients"):
        for code in counties:
            if not any(f.table == wanted and f.county == code for f in files):
                where = _relative(counties[code], input_dir) if kind == "city" else str(input_dir)
                names = " or ".join(f"*{n}*" for n in specs[wanted].file_names)
                seen = "; ignored: " + ", ".join(ignored) if ignored else "; the folder holds no other .csv/.xlsx/.parquet"
                raise InputError(f"{where}: no {wanted} file ({specs[wanted].title}) found: a file name must contain "
                                 f"{names} (.csv, .txt, .tsv, .xlsx or .parquet){seen}")
    for index, f in enumerate(files, start=1):
        f.index = index
    return RunInputs(input_dir, kind, counties, reference_dir, files, ignored)
