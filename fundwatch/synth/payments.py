"""The payments table: every regular, one-off and reversed payment, who handled it, its file and
physical line; a few rows corrupted and one repeated exactly.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fundwatch.synth.cast import Cast, rows_frame
from fundwatch.synth.codes import ACCOUNT_PENSION, BASIC_PENSION, PENSION, STAFF_PER_COUNTY
from fundwatch.synth.layouts import layout_for
from fundwatch.synth.months import dates_in


def build_payments(cast: Cast, rng: np.random.Generator, people: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    m0, m1 = cast.m0, cast.m1
    spell_schema = {"person": pl.Int64, "county": pl.String, "scheme": pl.String, "benefit_type": pl.String,
                    "first": pl.Int64, "last": pl.Int64, "base_fen": pl.Int64, "raises": pl.Boolean}
    spells = pl.concat([rows_frame(cast.spell_rows, spell_schema)] + [f.cast(spell_schema) for f in cast.frames["spells"]])
    first = np.maximum(spells["first"].to_numpy(), m0)
    last = np.minimum(spells["last"].to_numpy(), m1)
    lengths = np.maximum(last - first + 1, 0)
    owner = np.repeat(np.arange(spells.height), lengths)
    period = first[owner] + np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    raises = spells["raises"].to_numpy()[owner]
    amount = np.rint(spells["base_fen"].to_numpy()[owner]
                     * np.where(raises, 1.03 ** (period // 12 - cast.first_year), 1.0)).astype(np.int64)
    county_position = {c: i for i, c in enumerate(cast.counties)}
    county_of_row = spells["county"].replace_strict(county_position, return_dtype=pl.Int64).to_numpy()[owner]
    pay_day = cast.county_pay_days[county_of_row, period - m0]
    regular = spells.select(pl.col("person", "county", "scheme", "benefit_type").gather(owner)).with_columns(
        pl.Series("period", period), pl.Series("pay_date", dates_in(period, pay_day)),
        pl.Series("amount_fen", amount))
    group = ["person", "county", "scheme", "benefit_type", "period"]
    key_schema = {"person": pl.Int64, "county": pl.String, "scheme": pl.String, "benefit_type": pl.String,
                  "period": pl.Int64}
    not_received = rows_frame(cast.status_rows, {**key_schema, "pay_status": pl.String})
    regular = regular.join(not_received, on=group, how="left", maintain_order="left")
    reversals = (rows_frame(cast.reversal_rows, {**key_schema, "pay_date": pl.Date})
                 .join(regular.select(*group, "amount_fen"), on=group, how="inner", maintain_order="left")
                 .with_columns(-pl.col("amount_fen"), pl.lit(None, pl.String).alias("pay_status")))
    if reversals.height != len(cast.reversal_rows):
        raise ValueError("a reversal names a period with no regular payment")

    one_off_schema = {**key_schema, "pay_date": pl.Date, "amount_fen": pl.Int64, "pay_status": pl.String}
    planted = rows_frame(cast.one_off_rows, one_off_schema)
    base = pl.concat(cast.frames["one_offs"]).cast({"period": pl.Int64, "paid_month": pl.Int64, "amount_fen": pl.Int64})
    base_county = base["county"].replace_strict(county_position, return_dtype=pl.Int64).to_numpy()
    base_paid = base["paid_month"].to_numpy()
    base = base.drop("paid_month").with_columns(
        pl.Series("pay_date", dates_in(base_paid, cast.county_pay_days[base_county, base_paid - m0])),
        pl.lit(None, pl.String).alias("pay_status"),
    ).select(*one_off_schema)
    payments = (pl.concat([frame.select(*one_off_schema).cast(one_off_schema)
                           for frame in (regular, planted, base, reversals)])
                .filter(pl.col("period") <= m1)
                .join(links, on=["person", "county"])
                .join(people.select("person", "name", "id18", "id_payments", "account", "plain"), on="person")
                .with_columns(pl.coalesce("id_payments", "id18").alias("id_text"))
                .drop("id_payments"))

    outliers = pl.DataFrame(cast.outliers, schema={"person": pl.Int64, "from": pl.Int64, "to": pl.Int64},
                            orient="row")
    payments = (payments.join(outliers, on="person", how="left")
                .with_columns(pl.when(pl.col("period").is_between(pl.col("from"), pl.col("to"))
                                      & (pl.col("benefit_type") == PENSION))
                              .then(pl.col("amount_fen") * 8).otherwise("amount_fen").alias("amount_fen"),
                              (pl.col("plain") & pl.col("from").is_null()).alias("plain"))
                .drop("from", "to"))

    split_counties = [c for i, c in enumerate(cast.counties) if layout_for(i).splits_resident_pension]
    split = (pl.col("county").is_in(split_counties) & (pl.col("scheme") == "170")
             & (pl.col("benefit_type") == PENSION))
    parts = payments.filter(split)
    basic = pl.col("amount_fen").sign() * (pl.col("amount_fen").abs() * 3 // 5 // 100 * 100)
    payments = pl.concat([
        payments.filter(~split),
        parts.with_columns(pl.lit(BASIC_PENSION).alias("benefit_type"), basic.alias("amount_fen")),
        parts.with_columns(pl.lit(ACCOUNT_PENSION).alias("benefit_type"),
                           (pl.col("amount_fen") - basic).alias("amount_fen")),
    ])

    payments = payments.sort("county", "pay_date", "person_id", "scheme", "benefit_type", "period", "amount_fen",
                              "pay_status", nulls_last=True, maintain_order=True)
    n = payments.height
    operator = rng.integers(0, STAFF_PER_COUNTY, n)
    reviewer = (operator + 1 + rng.integers(0, STAFF_PER_COUNTY - 1, n)) % STAFF_PER_COUNTY
    county_number = payments["county"].replace_strict(county_position, return_dtype=pl.Int64).to_numpy() + 1
    staff = np.char.add("JB", np.char.zfill(county_number.astype("U2"), 2))
    operator_id = np.char.add(staff, np.char.zfill((operator + 1).astype("U2"), 2))
    reviewer_id = np.char.add(staff, np.char.zfill((reviewer + 1).astype("U2"), 2))

    county_col = payments["county"].to_numpy()
    plain = payments["plain"].to_numpy()
    touched = np.zeros(n, dtype=bool)
    plant_staff = {staff_id for _, staff_id, _ in cast.a03_plants}
    for county, staff_id, count in cast.a03_plants:
        candidates = np.flatnonzero((county_col == county) & plain & ~touched)
        chosen = rng.choice(candidates, min(count, len(candidates)), replace=False)
        operator_id[chosen] = staff_id
        reviewer_id[chosen] = staff_id
        touched[chosen] = True
    operator_id = operator_id.astype(object)
    reviewer_id = reviewer_id.astype(object)
    near_county = cast.counties[-1]
    candidates = np.flatnonzero((county_col == near_county) & plain & ~touched)
    both_empty, reviewer_missing = rng.choice(candidates, 2, replace=False)
    operator_id[both_empty] = reviewer_id[both_empty] = None
    while operator_id[reviewer_missing] in plant_staff or reviewer_missing == both_empty:
        reviewer_missing = rng.choice(candidates)
    reviewer_id[reviewer_missing] = None
    touched[[both_empty, reviewer_missing]] = True
    cast.a03_near_misses.append(dict(rule_id="A03", region_code=near_county, subject_key="", kind="near_miss",
                                     scope="county", case="both-empty",
                                     note="a payment with neither 经办人 nor 审核人 (empty = empty is not a clue)"))
    cast.a03_near_misses.append(dict(rule_id="A03", region_code=near_county,
                                     subject_key=operator_id[reviewer_missing], kind="near_miss",
                                     scope="county", case="reviewer-empty", note="a payment with 经办人 but no 审核人"))

    payment_id = (payments.select(pl.col("county") + (pl.int_range(pl.len()).over("county") + 1)
                                  .cast(pl.String).str.zfill(9))).to_series()
    return payments.with_columns(
        payment_id.alias("payment_id"),
        pl.Series("operator_id", operator_id.tolist(), dtype=pl.String),
        pl.Series("reviewer_id", reviewer_id.tolist(), dtype=pl.String),
        pl.Series("touched", touched),
    ).select("county", "payment_id", "person_id", "id_text", "name", "scheme", "benefit_type", "period",
             "pay_date", "amount_fen", "account", "operator_id", "reviewer_id", "pay_status", "id18", "plain",
             "touched")


BAD_VALUES = (  # column, value (None = empty), kind
    ("pay_date", "{year}-02-30", "bad_value"),
    ("amount", "N/A", "bad_value"),
    ("id_number", None, "missing"),
    ("period", None, "missing"),
    ("period", "{year}-13", "bad_value"),
)
# Text that is not money (INPUT.md), made from the row's own amount; one per file in turn
BAD_MONEY = ("{yuan},{cents}", "1,2,3", "{yuan}，{cents}", "{yuan}.{cents}5", "{mantissa}e3", "({yuan}.{cents})")


def place_in_files(cast: Cast, rng: np.random.Generator, payments: pl.DataFrame):
    """Decide each row's file and physical line; corrupt a few rows and repeat one exactly."""
    path = pl.concat_str([pl.col("county"), pl.lit("/"), pl.col("county").replace_strict(
        {c: layout_for(i).payments_file for i, c in enumerate(cast.counties)}, return_dtype=pl.String)])
    payments = payments.with_columns(
        path.str.replace("{year}", (pl.col("period") // 12).cast(pl.String), literal=True).alias("path"),
        pl.lit(None, pl.String).alias("bad_column"), pl.lit(None, pl.String).alias("bad_value"),
        pl.lit(None, pl.Int64).alias("duplicate_of_line"),
    ).sort("path", "period", "payment_id")
    payments = payments.with_columns(
        (pl.int_range(pl.len()).over("path") + 2).alias("line"),
        # how the row is formatted where a layout mixes formats; an exact copy keeps its original's
        pl.Series("style", rng.choice(9, payments.height, p=[.5, .1, .1, .06, .06, .06, .04, .04, .04])),
        pl.Series("scheme_by_name", rng.random(payments.height) < 0.1),
    )

    def first_file(position: int) -> str:
        name = layout_for(position).payments_file.replace("{year}", str(cast.m0 // 12))
        return f"{cast.counties[position]}/{name}"

    messy_path = first_file(0)
    targets = [(messy_path, column, value) for column, value, _ in BAD_VALUES]
    targets += [(first_file(j % len(cast.counties)), "amount", form) for j, form in enumerate(BAD_MONEY)]
    targets.append((messy_path, None, None))  # the row repeated exactly
    paths = payments["path"].to_numpy()
    usable = payments["plain"].to_numpy() & ~payments["touched"].to_numpy()
    person_ids = payments["person_id"].to_numpy()
    amounts = payments["amount_fen"].to_numpy()
    bad_column = payments["bad_column"].to_numpy().astype(object)
    bad_value = payments["bad_value"].to_numpy().astype(object)
    seen: set[str] = set()
    for target, column, value in targets:
        row = next(int(r) for r in rng.permutation(np.flatnonzero(usable & (paths == target)))
                   if person_ids[r] not in seen)
        seen.add(person_ids[row])
        if column is None:
            duplicate_row = row
            continue
        yuan, cents = divmod(int(amounts[row]), 100)
        bad_column[row] = column
        bad_value[row] = None if value is None else value.format(
            year=cast.m0 // 12, yuan=yuan, cents=f"{cents:02d}", mantissa=f"{amounts[row] / 100000:.1f}")
    payments = payments.with_columns(pl.Series("bad_column", bad_column.tolist(), dtype=pl.String),
                                     pl.Series("bad_value", bad_value.tolist(), dtype=pl.String))
    in_file = paths == messy_path

    original = payments.row(duplicate_row, named=True)
    lines_in_file = int(in_file.sum()) + 1
    copy_line = min(original["line"] + int(rng.integers(20, 200)), lines_in_file + 1)
    shifted = (pl.col("path") == messy_path) & (pl.col("line") >= copy_line)
    payments = payments.with_columns(pl.when(shifted).then(pl.col("line") + 1).otherwise("line").alias("line"))
    original = payments.row(duplicate_row, named=True)
    copy = pl.DataFrame([{**original, "line": copy_line, "duplicate_of_line": original["line"]}],
                        schema=payments.schema, orient="row")
    payments = pl.concat([payments, copy]).sort("path", "line")

    quarantine = (payments.filter(pl.col("bad_column").is_not_null() | pl.col("duplicate_of_line").is_not_null())
                  .select("path", "line",
                          pl.col("bad_column").fill_null("").alias("column"),
                          pl.when(pl.col("duplicate_of_line").is_not_null()).then(pl.lit("duplicate"))
                          .when(pl.col("bad_value").is_null()).then(pl.lit("missing"))
                          .otherwise(pl.lit("bad_value")).alias("kind"))
                  .sort("path", "line"))
    return payments.drop("plain", "touched"), quarantine, (original["county"], original["id18"])
