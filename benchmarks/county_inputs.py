"""The benchmark's inputs: one synthetic county of about a given number of payment rows, as plain UTF-8 CSV."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import shutil
import sys
import time
from pathlib import Path

from measuring import ROOT


ROWS_PER_PERSON_24_MONTHS = 21.64  # measured: 432,790 payment rows for 20,000 persons over 24 months
TINY = {"persons": 250, "months": 13}  # synth needs its planted people plus 100 (233 since the staff rules and tip-offs)


def parse_rows(text: str) -> int:
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a row count: {text!r} (e.g. 1M, 300k, 2500000)")
    return int(float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()])


def rows_label(rows: int) -> str:
    """1,000,994 -> 1M, 3,002,480 -> 3M, 100,560 -> 101k (three significant digits)."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if rows >= size:
            return f"{rows / size:.3g}{suffix}"
    return str(rows)


def persons_for(rows: int, months: int) -> int:
    return max(TINY["persons"], round(rows / (ROWS_PER_PERSON_24_MONTHS * months / 24)))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def _xlsx_to_csv(workbook: Path, target: Path) -> int:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(workbook)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    return len(rows) - 1


def _text_to_utf8_csv(source: Path, target: Path) -> int:
    """Re-encode a delimited text export as comma-separated UTF-8 (for layouts other than synth's first)."""
    raw = source.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",\t|").delimiter
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    with target.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    return len(rows) - 1


def generate(folder: Path, rows: int, months: int, seed: int, persons: int | None = None) -> dict:
    """Synth one county at about `rows` payment rows and convert it to plain UTF-8 CSV in `folder`."""
    sys.path.insert(0, str(ROOT))
    from fundwatch.synth import synth

    persons = persons or persons_for(rows, months)
    raw = folder / "_synth"
    started = time.perf_counter()
    summary = synth(raw, counties=1, persons=persons, months=months, seed=seed)
    synth_seconds = time.perf_counter() - started
    started = time.perf_counter()
    (county_raw,) = [p for p in raw.iterdir() if p.is_dir() and p.name.isdigit()]
    county = folder / county_raw.name
    county.mkdir(parents=True)
    payment_files = sorted(p for p in county_raw.iterdir() if p.name.startswith("payments") or "发放" in p.name)
    payment_rows = 0
    with (county / "payments.csv").open("wb") as out:
        header = None
        for path in payment_files:
            if path.suffix != ".csv":  # other synth layouts: convert first
                _text_to_utf8_csv(path, folder / "_tmp.csv")
                path = folder / "_tmp.csv"
            with path.open("rb") as source:
                first = source.readline().removeprefix(b"\xef\xbb\xbf")
                if header is None:
                    header = first
                    out.write(first)
                elif first != header:
                    raise SystemExit(f"{path.name}: header differs from the first payments file")
                for line in source:
                    out.write(line)
                    payment_rows += 1
    (folder / "_tmp.csv").unlink(missing_ok=True)
    recipients = next(p for p in county_raw.iterdir() if p.name.startswith("recipients") or "领取人员" in p.name)
    recipient_rows = (_xlsx_to_csv(recipients, county / "recipients.csv") if recipients.suffix == ".xlsx"
                      else _text_to_utf8_csv(recipients, county / "recipients.csv"))
    shutil.move(str(raw / "reference"), str(folder / "reference"))
    shutil.move(str(raw / "ground_truth.csv"), str(folder / "ground_truth.csv"))
    shutil.rmtree(raw)
    meta = {"county": county.name, "persons": persons, "months": months, "seed": seed,
            "payment_rows": payment_rows, "recipient_rows": recipient_rows,
            "payment_bytes": (county / "payments.csv").stat().st_size,
            "synth_rows": summary["rows"], "synth_layout": summary["counties"][county.name],
            "synth_seconds": round(synth_seconds, 1), "convert_seconds": round(time.perf_counter() - started, 1)}
    (folder / "bench_inputs.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return meta


CITY_COUNTIES = ("330102", "330105", "330106", "330108", "330109", "330110", "330111", "330112", "330113", "330114")


def split_into_city(folder: Path, counties: int) -> dict:
    """The county of `folder` (made by generate) cut into a city of `counties` counties, by person
    (个人编号): each person's payments and recipient row go to one county folder, with 行政区划代码
    set to that county's code; reference/ is shared. The city is `folder`/city-<counties>/; made once."""
    import zlib

    meta = json.loads((folder / "bench_inputs.json").read_text(encoding="utf-8"))
    city = folder / f"city-{counties}"
    done = city / "city_inputs.json"
    if done.exists():
        return json.loads(done.read_text(encoding="utf-8"))
    if not 2 <= counties <= len(CITY_COUNTIES):
        raise SystemExit(f"--city-counties must be 2 to {len(CITY_COUNTIES)}")
    shutil.rmtree(city, ignore_errors=True)
    codes = CITY_COUNTIES[:counties]
    rows = {code: {} for code in codes}
    for name in ("payments.csv", "recipients.csv"):
        with (folder / meta["county"] / name).open(encoding="utf-8", newline="") as source:
            reader = csv.reader(source)
            header = next(reader)
            person, region = header.index("个人编号"), header.index("行政区划代码")
            outs = {}
            for code in codes:
                (city / code).mkdir(parents=True, exist_ok=True)
                outs[code] = (city / code / name).open("w", encoding="utf-8", newline="")
                csv.writer(outs[code], lineterminator="\n").writerow(header)
            writers = {code: csv.writer(out, lineterminator="\n") for code, out in outs.items()}
            counts = dict.fromkeys(codes, 0)
            for row in reader:
                code = codes[zlib.crc32(row[person].encode()) % counties] if len(row) > person else codes[0]
                if len(row) > region:
                    row[region] = code
                writers[code].writerow(row)
                counts[code] += 1
            for out in outs.values():
                out.close()
            for code in codes:
                rows[code][name] = counts[code]
    (city / "reference").symlink_to(folder / "reference", target_is_directory=True)
    city_meta = {"counties": list(codes), "rows": rows, "payment_rows": sum(r["payments.csv"] for r in rows.values())}
    done.write_text(json.dumps(city_meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return city_meta
