"""Writing the city: every county's exports, reference/, the ground truth and the expected quarantine."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fundwatch.synth.city import City
from fundwatch.synth.codes import DEATH_DATE_STYLE, DEATH_SOURCES
from fundwatch.synth.file_formats import write_text, write_xlsx
from fundwatch.synth.layouts import REFERENCE_FILES, layout_for
from fundwatch.synth.months import yyyymm
from fundwatch.synth.operations import write_staff_and_operations
from fundwatch.synth.render import date_text, mixed, period_text, render_payments, render_recipients
from fundwatch.synth.tipoffs import write_tipoffs


def write_city(city: City, out_dir: Path) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = {}
    for position, county in enumerate(city.counties):
        layout = layout_for(position)
        folder = out_dir / county
        folder.mkdir(exist_ok=True)
        county_payments = city.payments.filter(pl.col("county") == county)
        for path in county_payments["path"].unique().sort().to_list():
            rows = render_payments(county_payments.filter(pl.col("path") == path).sort("line"), layout)
            write_text(rows, out_dir / path, layout.encoding, layout.payments_separator, layout.line_terminator)
            files[path] = rows.height
        recipients = city.recipients.filter(pl.col("county") == county)
        target = folder / layout.recipients_file
        if target.suffix == ".xlsx":
            frame = render_recipients(recipients, layout).with_columns(
                pl.Series(layout.recipient_headers[4], recipients["birth_date"]))
            write_xlsx(target, "待遇领取人员信息", frame, {layout.recipient_headers[4]},
                       {layout.recipient_headers[11]})
        else:
            write_text(render_recipients(recipients, layout), target, layout.encoding,
                       layout.recipients_separator, layout.line_terminator)
        files[f"{county}/{layout.recipients_file}"] = recipients.height

    reference = out_dir / "reference"
    reference.mkdir(exist_ok=True)
    deaths = city.deaths.select(
        pl.col("id_text").alias("公民身份号码"), pl.col("name").alias("姓名"),
        mixed(pl.col("source").replace_strict({s: i for i, s in enumerate(DEATH_SOURCES)}, return_dtype=pl.Int64),
              [date_text(pl.col("death_date"), DEATH_DATE_STYLE[s]) for s in DEATH_SOURCES]).alias("死亡日期"),
        pl.col("source").alias("数据来源"),
        *([date_text(pl.col("registered_date"), "iso").alias("登记日期")] if "registered_date" in city.deaths.columns
          else []))
    write_text(deaths, reference / REFERENCE_FILES["deaths"], "gb18030")
    prisoners = city.prisoners.select(
        pl.col("id_text").alias("身份证号码"), pl.col("name").alias("姓名"),
        date_text(pl.col("sentence_start"), "iso").alias("服刑开始日期"),
        date_text(pl.col("sentence_end"), "iso").alias("服刑结束日期"), pl.col("offence").alias("罪名"))
    prisoners.write_parquet(reference / REFERENCE_FILES["prisoners"])
    employees = city.public_employees.select(
        pl.col("id_text").alias("证件号码"), pl.col("name").alias("姓名"), pl.col("unit_name").alias("单位名称"),
        pl.col("start_date").alias("入编日期"), pl.col("end_date").alias("离职日期"))
    write_xlsx(reference / REFERENCE_FILES["public_employees"], "财政供养人员", employees, {"入编日期", "离职日期"})
    employment = city.employment.select(
        pl.col("id_text").alias("公民身份号码"), pl.col("name").alias("姓名"),
        period_text(pl.col("period"), "plain").alias("缴费所属期"), pl.col("unit_name").alias("单位名称"))
    write_text(employment, reference / REFERENCE_FILES["employment"], "utf-8")
    for table, frame in (("deaths", deaths), ("prisoners", prisoners), ("public_employees", employees),
                         ("employment", employment)):
        files[f"reference/{REFERENCE_FILES[table]}"] = frame.height

    write_staff_and_operations(city, out_dir, files)
    files.update(write_tipoffs(city, out_dir))
    city.ground_truth.sort("rule_id", "kind", "scope", "region_code", "subject_key").write_csv(
        out_dir / "ground_truth.csv")
    city.expected_quarantine.write_csv(out_dir / "expected_quarantine.csv")

    truth = city.ground_truth
    return {
        "counties": {county: layout_for(i).describe() for i, county in enumerate(city.counties)},
        "periods": [yyyymm(city.first_month), yyyymm(city.last_month)],
        "rows": {"payments": city.payments.height, "recipients": city.recipients.height,
                 "deaths": city.deaths.height, "prisoners": city.prisoners.height,
                 "public_employees": city.public_employees.height, "employment": city.employment.height},
        "recipient_people": city.recipients["person"].n_unique(),
        "files": files,
        "plants": dict(sorted(truth.filter(pl.col("kind") == "plant")["rule_id"].value_counts().iter_rows())),
        "near_misses": dict(sorted(truth.filter(pl.col("kind") == "near_miss")["rule_id"].value_counts().iter_rows())),
        "quarantine_rows": city.expected_quarantine.height,
        "skipped": city.skipped,
    }
