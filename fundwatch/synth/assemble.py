"""Assembly: from people, spells and plants to the canonical tables and the ground truth."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundwatch.synth.cast import Cast, rows_frame
from fundwatch.synth.city import City, Expect
from fundwatch.synth.codes import DEATH_RELATED, SUCCEEDED
from fundwatch.synth.identities import bank_accounts
from fundwatch.synth.payments import build_payments, place_in_files


TRUTH_SCHEMA = {"rule_id": pl.String, "region_code": pl.String, "subject_key": pl.String, "kind": pl.String,
                "scope": pl.String, "case": pl.String, "amount": pl.String, "note": pl.String}


def _out_of_order(frame: pl.DataFrame, rng: np.random.Generator, subject: str, natural: list[str]) -> pl.DataFrame:
    """The rows shuffled, and the rows of a subject with several (schemes, units, sentences, reports)
    placed in the reverse of their natural order, so that no export lists them sorted."""
    slot = pl.col("_slot")
    return (frame.with_columns(pl.Series("_slot", rng.permutation(frame.height)))
            .sort(subject, *natural, "_slot")
            .with_columns(slot.sort(descending=True).over(subject))
            .sort("_slot").drop("_slot"))


def received_groups(payments: pl.DataFrame) -> pl.DataFrame:
    """Per person, scheme, benefit type and period: the net received (退回/失败 rows left out, reversals
    subtracted) and the first received payment; groups whose net is zero or less are dropped."""
    received = payments.filter(pl.col("pay_status").is_null() | (pl.col("pay_status") == SUCCEEDED))
    return (received.sort("pay_date", "payment_id")
            .group_by("id18", "scheme", "benefit_type", "period", maintain_order=True)
            .agg(pl.col("amount_fen").sum().alias("net"),
                 pl.col("amount_fen").filter(pl.col("amount_fen") > 0).first().alias("first"))
            .filter(pl.col("net") > 0))


def _expected_amount(groups: pl.DataFrame, expect: Expect) -> str:
    types = pl.col("benefit_type")
    chosen = groups.filter(
        pl.col("period").is_in(sorted(expect.periods)),
        pl.col("scheme").is_in(sorted(expect.schemes)) if expect.schemes is not None else pl.lit(True),
        types.is_in(sorted(expect.benefit_types)) if expect.benefit_types is not None
        else ~types.is_in(sorted(DEATH_RELATED)))
    fen = int((chosen["net"] - chosen["first"]).sum() if expect.less_first else chosen["net"].sum())
    if fen <= 0:
        raise ValueError(f"a plant expects no improper amount: {expect}")
    return f"{fen // 100}.{fen % 100:02d}"


def assemble(cast: Cast) -> City:
    rng = np.random.default_rng([cast.seed, 30])
    person_schema = {"person": pl.Int64, "home": pl.String, "male": pl.Boolean, "birth": pl.Date,
                     "name": pl.String, "id18": pl.String, "id_recipients": pl.String, "id_payments": pl.String,
                     "account_owner": pl.Int64, "recipient": pl.Boolean, "plain": pl.Boolean}
    people = pl.concat([rows_frame(cast.person_rows, person_schema)]
                       + [f.cast(person_schema) for f in cast.frames["persons"]])
    accounts = bank_accounts(rng, people.height)
    people = people.with_columns(pl.Series("own_account", accounts)).with_columns(
        pl.col("own_account").gather(pl.col("account_owner")).alias("account"))  # persons are 0..n-1 in order

    recipient_schema = {"person": pl.Int64, "county": pl.String, "scheme": pl.String, "personnel_type": pl.String,
                        "unit_type": pl.String, "retirement_type": pl.String, "benefit_start": pl.Int64,
                        "status": pl.String, "contribution_months": pl.Int64, "shown_birth": pl.Date,
                        "shown_male": pl.Boolean}
    recipients = pl.concat([rows_frame(cast.recipient_rows, recipient_schema)]
                           + [f.cast(recipient_schema) for f in cast.frames["recipients"]])
    links = recipients.select("person", "county").unique(maintain_order=True)
    links = links.with_columns(pl.Series("shuffle", rng.permutation(links.height))).sort("county", "shuffle")
    links = links.with_columns(
        (pl.col("county") + (pl.int_range(pl.len()).over("county") + 10001).cast(pl.String).str.zfill(8))
        .alias("person_id")).drop("shuffle")

    def rendered_id(column: str) -> pl.Expr:
        return pl.coalesce(pl.col(column), pl.col("id18")).alias("id_text")

    recipients = (recipients.join(links, on=["person", "county"])
                  .join(people, on="person")
                  .with_columns(rendered_id("id_recipients"),
                                pl.coalesce("shown_birth", "birth").alias("birth_date"),
                                pl.coalesce("shown_male", "male").alias("male"))
                  .select("county", "person", "person_id", "id_text", "name", "male", "birth_date", "scheme",
                          "personnel_type", "unit_type", "retirement_type", "benefit_start", "status",
                          "contribution_months")
                  .sort("county", "person_id", "scheme"))
    order_rng = np.random.default_rng([cast.seed, 40])
    recipients = pl.concat([_out_of_order(part, order_rng, "person", ["scheme"])
                            for part in recipients.partition_by("county", maintain_order=True)])

    payments = build_payments(cast, rng, people, links)
    payments, quarantine, duplicate_owner = place_in_files(cast, rng, payments)
    if duplicate_owner is not None:
        county, id18 = duplicate_owner
        cast.truth("P01", county, id18, "near_miss", "exact-duplicate-row",
                   "the export repeats one payment row exactly (same payment_id): an artefact, not a duplicate payment")

    id_column = [rendered_id("id_text_override").alias("id_text")]
    deaths = (pl.concat([rows_frame(cast.death_rows, {"person": pl.Int64, "death_date": pl.Date, "source": pl.String,
                                                      "id_text": pl.String})]
                        + [f.cast({"person": pl.Int64, "death_date": pl.Date, "id_text": pl.String})
                           for f in cast.frames["deaths"]])
              .rename({"id_text": "id_text_override"}).join(people, on="person")
              .with_columns(*id_column).select("person", "id_text", "name", "death_date", "source")
              .sort("source", "death_date", "id_text"))
    deaths = _out_of_order(deaths, order_rng, "person", ["source", "death_date"]).drop("person")
    prisoner_schema = {"person": pl.Int64, "sentence_start": pl.Date, "sentence_end": pl.Date, "offence": pl.String}
    prisoners = (pl.concat([rows_frame(cast.prisoner_rows, prisoner_schema)]
                           + [f.select(*prisoner_schema).cast(prisoner_schema) for f in cast.frames["prisoners"]])
                 .join(people, on="person"))
    legacy = pl.concat([f.select("person", "legacy") for f in cast.frames["prisoners"] if "legacy" in f.columns])
    prisoners = (prisoners.join(legacy, on="person", how="left")
                 .with_columns(pl.when(pl.col("legacy").fill_null(False))
                               .then(pl.col("id18").str.slice(0, 6) + pl.col("id18").str.slice(8, 9))
                               .otherwise(pl.col("id18")).alias("id_text"))
                 .select("person", "id_text", "name", "sentence_start", "sentence_end", "offence")
                 .sort("sentence_start", "id_text"))
    prisoners = _out_of_order(prisoners, order_rng, "person", ["sentence_start"]).drop("person")
    employee_schema = {"person": pl.Int64, "unit_name": pl.String, "start_date": pl.Date, "end_date": pl.Date}
    public_employees = (pl.concat([rows_frame(cast.public_employee_rows, employee_schema)]
                                  + [f.cast(employee_schema) for f in cast.frames["public_employees"]])
                        .join(people, on="person")
                        .select("person", pl.col("id18").alias("id_text"), "name", "unit_name", "start_date",
                                "end_date")
                        .sort("unit_name", "start_date", "id_text"))
    public_employees = _out_of_order(public_employees, order_rng, "person", ["unit_name", "start_date"])
    public_employees = public_employees.drop("person")
    employment_schema = {"person": pl.Int64, "period": pl.Int64, "unit_name": pl.String}
    employment = (pl.concat([rows_frame(cast.employment_rows, employment_schema)]
                            + [f.cast(employment_schema) for f in cast.frames["employment"]])
                  .join(people, on="person")
                  .select(pl.col("id18").alias("id_text"), "name", "period", "unit_name")
                  .sort("period", "id_text"))

    self_approvals = (payments.filter(pl.col("operator_id") == pl.col("reviewer_id"))
                      .group_by("county", "operator_id").agg(pl.len()))
    received = received_groups(payments.filter(
        pl.col("bad_column").is_null() & pl.col("duplicate_of_line").is_null()
        & pl.col("id18").is_in([r["subject_key"] for r in cast.truth_rows if r["expect"] is not None])))
    truth = []
    for row in cast.truth_rows:
        subject = row["subject_key"]
        if isinstance(subject, tuple):
            subject = accounts[subject[1]]
        expect = row.pop("expect")
        amount = None if expect is None else _expected_amount(received.filter(pl.col("id18") == subject), expect)
        truth.append({**row, "subject_key": subject, "amount": amount})
    for county, staff, _ in cast.a03_plants:
        count = self_approvals.filter((pl.col("county") == county) & (pl.col("operator_id") == staff))["len"]
        truth.append(dict(rule_id="A03", region_code=county, subject_key=staff, kind="plant", scope="county",
                          case="self-approval", note=f"{staff} approved {int(count.sum())} of their own payments"))
    truth.extend(cast.a03_near_misses)
    ground_truth = pl.DataFrame(truth, schema=TRUTH_SCHEMA, orient="row")
    return City(counties=cast.counties, first_month=cast.m0, last_month=cast.m1, seed=cast.seed, persons=people,
                recipients=recipients, payments=payments, deaths=deaths, prisoners=prisoners,
                public_employees=public_employees, employment=employment, ground_truth=ground_truth,
                expected_quarantine=quarantine, skipped=cast.skipped)
