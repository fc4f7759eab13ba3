"""Staff and operations (经办人员信息, 经办操作日志, deaths.registered_date) on the assembled city.

Writes the operations log of every county (ordinary activity: new benefits, suspensions and
resumptions of prisoners, ends after a death, back pay, legitimate account changes; plus the
S-rule plants' operations), moves the payments after an account change to the new account, lists
the staff, dates each death's registration at the agency, and derives the 处置时效 ground truth
(management_truth.csv).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from fundwatch.idnumber import make_id
from fundwatch.synth.assemble import received_groups
from fundwatch.synth.cast import Cast
from fundwatch.synth.city import City
from fundwatch.synth.codes import BACK_PAY, COUNTY_NAMES, DEATH_RELATED, STAFF_PER_COUNTY, SUCCEEDED
from fundwatch.synth.file_formats import write_text
from fundwatch.synth.identities import bank_accounts, random_names
from fundwatch.synth.layouts import PAYMENT_COLUMNS, layout_for
from fundwatch.synth.months import month_of, random_dates_in
from fundwatch.synth.plants.staff import StaffPlan, staff_id


OPERATIONS_FILE = {"gbk": "经办操作日志.csv"}  # by the county's encoding; otherwise operations.csv
OPERATION_HEADERS = ("操作流水号", "操作时间", "操作类型", "对象身份证号", "经办人", "审核人", "变更前", "变更后",
                     "补发月数", "行政区划代码")
OPERATION_COLUMNS = ("op_id", "op_time", "op_type", "id_number", "operator_id", "reviewer_id", "old_value", "new_value",
                     "months", "region_code")
STAFF_FILE = "经办人员信息.csv"
STAFF_HEADERS = ("工号", "公民身份号码", "姓名", "本人银行账号", "所在机构", "行政区划代码")


LEGITIMATE_CHANGE_SHARE = 0.015


def _id18_of(text: str) -> str:
    from fundwatch.idnumber import from_legacy15

    text = text.upper()
    return from_legacy15(text) if len(text) == 15 and text.isdigit() else text


def add_staff_and_operations(cast: Cast, city: City) -> None:
    plan: StaffPlan = cast.staff_plan
    rng = np.random.default_rng([cast.seed, 40])
    people = city.persons
    own_account = dict(zip(people["person"].to_list(), people["account"].to_list()))
    id_of = dict(zip(people["person"].to_list(), people["id18"].to_list()))

    # accounts the plans name: clerks' own, outsiders' (an account not the person's), new own cards
    keys = sorted({c["account"] for c in plan.changes} | {s["account"] for s in plan.staff if s["account"]}
                  | {("own", c, n) for c in cast.counties for n in range(1, STAFF_PER_COUNTY + 1)}, key=str)
    recipients = city.recipients
    single = (recipients.group_by("person").agg(pl.col("county").n_unique().alias("n")).filter(pl.col("n") == 1)
              .join(people.filter(pl.col("plain")).select("person"), on="person")["person"].sort())
    chosen = rng.choice(single.to_numpy(), int(len(single) * LEGITIMATE_CHANGE_SHARE), replace=False) \
        if len(single) else np.array([], dtype=np.int64)
    home = dict(recipients.select("person", "county").unique("person", keep="first").iter_rows())
    for person in sorted(int(p) for p in chosen):
        if person in plan.plant_people:
            continue
        county = home[person]
        month = cast.m0 + int(rng.integers(1, cast.months))
        plan.change(county, plan.at(month, int(rng.integers(1, 9))), person, ("card", person), plan.regular(county))
        keys.append(("card", person))
    fresh = bank_accounts(rng, len(keys) + people.height)
    taken = set(own_account.values())
    fresh = [a for a in fresh.tolist() if a not in taken][: len(keys)]
    accounts = dict(zip(keys, fresh))

    def account_text(key) -> str:
        if isinstance(key, tuple) and key[0] == "current":
            return ""
        return accounts[key]

    # payments after an account change go to the new account
    payments = city.payments.with_columns(pl.col("pay_date").cast(pl.Date))
    person_ids = recipients.select("person", "county", "person_id").unique()
    changes = pl.DataFrame([dict(person=c["person"], county=c["county"], changed=c["time"].date(),
                                 new_account=account_text(c["account"])) for c in plan.changes],
                           schema={"person": pl.Int64, "county": pl.String, "changed": pl.Date, "new_account": pl.String},
                           orient="row").join(person_ids, on=["person", "county"])
    old_accounts: dict[tuple[int, datetime], str] = {}
    if changes.height:
        latest = (payments.select("county", "person_id", "pay_date").with_row_index("row")
                  .join(changes, on=["county", "person_id"]).filter(pl.col("pay_date") >= pl.col("changed"))
                  .sort("changed").group_by("row").agg(pl.col("new_account").last()))
        payments = (payments.with_row_index("row").join(latest, on="row", how="left")
                    .with_columns(pl.coalesce("new_account", "account").alias("account")).drop("row", "new_account"))
    city.payments = payments
    # the account a change replaced: the person's own, or the one an earlier change gave
    current = dict(own_account)
    for c in sorted(plan.changes, key=lambda c: c["time"]):
        old_accounts[(c["person"], c["time"])] = current[c["person"]]
        current[c["person"]] = account_text(c["account"])

    _ordinary_operations(cast, city, plan, rng)
    _registered_dates(cast, city, rng)

    # the operations log
    id_text = dict(recipients.select("person", "id_text").unique("person", keep="first").iter_rows())
    rows = []
    for o in sorted(plan.operations, key=lambda o: (o["county"], o["time"], o["person"], o["op_type"])):
        old = o["old"]
        if isinstance(old, tuple) and old[0] == "current":
            old = old_accounts.get((old[1], o["time"]), own_account[old[1]])
        rows.append(dict(county=o["county"], op_time=o["time"], op_type=o["op_type"],
                         id_text=id_text.get(o["person"], id_of[o["person"]]), operator_id=o["operator"],
                         reviewer_id=o["reviewer"], old_value=old,
                         new_value=account_text(o["new"]) if isinstance(o["new"], tuple) else o["new"],
                         months=o["months"]))
    operations = pl.DataFrame(rows, schema={"county": pl.String, "op_time": pl.Datetime, "op_type": pl.String,
                                            "id_text": pl.String, "operator_id": pl.String, "reviewer_id": pl.String,
                                            "old_value": pl.String, "new_value": pl.String, "months": pl.Int64},
                              orient="row")
    city.operations = operations.with_columns(
        (pl.col("county") + (pl.int_range(pl.len()).over("county") + 1).cast(pl.String).str.zfill(7)).alias("op_id"))

    # the staff list: ten regular clerks per county and the plants' operators, each with an own account
    staff_rows = [dict(operator_id=staff_id(cast, c, n), county=c, person=None, account=("own", c, n))
                  for c in cast.counties for n in range(1, STAFF_PER_COUNTY + 1)] + plan.staff
    births = random_dates_in(rng, np.full(len(staff_rows), cast.m0) - rng.integers(25 * 12, 55 * 12, len(staff_rows)))
    male = rng.random(len(staff_rows)) < 0.5
    names = random_names(rng, male)
    staff = []
    for row, birth, is_male, name in zip(staff_rows, births.astype("datetime64[D]").tolist(), male, names):
        if row["person"] is not None:
            person = row["person"]
            staff.append(dict(operator_id=row["operator_id"], id_text=id_of[person],
                              name=people.filter(pl.col("person") == person)["name"][0],
                              bank_account=own_account[person], county=row["county"]))
            continue
        sequence = int(rng.integers(0, 500))
        while (number := make_id(row["county"], birth, sequence, bool(is_male))) in cast.used_ids:
            sequence = (sequence + 1) % 500
        cast.used_ids.add(number)
        staff.append(dict(operator_id=row["operator_id"], id_text=number, name=str(name),
                          bank_account=accounts[row["account"]], county=row["county"]))
    city.staff = pl.DataFrame(staff, orient="row").sort("county", "operator_id")

    truth = []
    for row in plan.truth:
        subject = row["subject_key"]
        if isinstance(subject, tuple):
            subject = id_of[subject[1]] if subject[0] == "id" else accounts[subject[1]]
        truth.append({"scope": "county", "case": f"staff-{row['rule_id'].lower()}-{row['kind'].replace('_', '-')}",
                      **row, "subject_key": subject})
    city.ground_truth = pl.concat([city.ground_truth, pl.DataFrame(truth, schema=city.ground_truth.schema,
                                                                   orient="row")])
    city.management_truth = _late_stop_truth(city)


def _ordinary_operations(cast: Cast, city: City, plan: StaffPlan, rng: np.random.Generator) -> None:
    """The log of a working agency: new benefits, back pay, suspensions and resumptions of prisoners,
    ends after a registered death. None of it is an S-rule case."""
    m0, m1 = cast.m0, cast.m1
    recipients = city.recipients
    for person, county, start in recipients.filter(pl.col("benefit_start").is_between(m0, m1)) \
            .select("person", "county", "benefit_start").sort("county", "person", "benefit_start").iter_rows():
        plan.op(county, plan.at(start, int(rng.integers(1, 6))), "新增待遇", person, plan.regular(county))
    person_of = dict(city.recipients.join(city.persons.select("person", "id18"), on="person")
                     .select("id18", "person").unique("id18", keep="first").iter_rows())
    back_pay = (city.payments.filter((pl.col("benefit_type") == BACK_PAY) & pl.col("duplicate_of_line").is_null())
                .with_columns(pl.col("id18").replace_strict(person_of, default=None, return_dtype=pl.Int64).alias("person"))
                .filter(~pl.col("person").is_in(list(plan.plant_people)))
                .group_by("county", "person", "pay_date").agg(pl.len().alias("months"))
                .sort("county", "person", "pay_date"))
    for county, person, paid, n in back_pay.iter_rows():
        when = paid - (paid - paid.replace(day=1)) if paid.day <= 3 else paid.replace(day=paid.day - 3)
        plan.op(county, datetime(when.year, when.month, when.day, int(rng.integers(8, 17)), int(rng.integers(0, 60))),
                "补发", person, plan.regular(county), months=int(n))
    homes = recipients.select("person", "county").unique().sort("person", "county")
    for id_text, start, end in city.prisoners.select("id_text", "sentence_start", "sentence_end").iter_rows():
        person = person_of.get(_id18_of(id_text))
        if person is None or person in plan.plant_people:
            continue
        for county in homes.filter(pl.col("person") == person)["county"].to_list():
            for day, op_type in ((start, "暂停发放"), (end, "恢复发放")):
                if day is not None and m0 <= month_of(day) <= m1 and day.day <= 25:
                    plan.op(county, datetime(day.year, day.month, day.day + 3, 10, 0), op_type, person,
                            plan.regular(county))


def _registered_dates(cast: Cast, city: City, rng: np.random.Generator) -> None:
    """When each death reached the agency: a few days to six weeks after it; one in ten not recorded.
    A recipient whose death was registered in the window gets 终止待遇 a few days later."""
    from datetime import timedelta

    deaths = city.deaths
    lag = rng.integers(3, 43, deaths.height)
    unknown = rng.random(deaths.height) < 0.1
    registered = [None if u else d + timedelta(days=int(g))
                  for d, g, u in zip(deaths["death_date"].to_list(), lag, unknown)]
    city.deaths = deaths.with_columns(pl.Series("registered_date", registered, dtype=pl.Date))
    plan: StaffPlan = cast.staff_plan
    person_of = dict(city.recipients.join(city.persons.select("person", "id18"), on="person")
                     .select("id18", "person").unique("id18", keep="first").iter_rows())
    homes = city.recipients.select("person", "county").unique().sort("person", "county")
    first = (city.deaths.filter(pl.col("registered_date").is_not_null())
             .with_columns(pl.col("id_text").map_elements(_id18_of, return_dtype=pl.String).alias("id18"))
             .group_by("id18").agg(pl.col("registered_date").min()).sort("id18"))
    for id18, day in first.iter_rows():
        person = person_of.get(id18)
        if person is None or person in plan.plant_people or month_of(day) > cast.m1:
            continue
        for county in homes.filter(pl.col("person") == person)["county"].to_list():
            when = day + timedelta(days=int(rng.integers(1, 5)))
            if month_of(when) <= cast.m1:
                plan.op(county, datetime(when.year, when.month, when.day, 9, 30), "终止待遇", person,
                        plan.regular(county))


def _late_stop_truth(city: City) -> pl.DataFrame:
    """处置时效, as planted: for every D01 plant, the periods after the death month whose payment was paid
    after the death was first registered, their amount and who approved them — net, like the rules:
    payments 退回 or 失败 and groups reversed to nothing are not paid."""
    truth = city.ground_truth.filter((pl.col("rule_id") == "D01") & (pl.col("kind") == "plant"))
    deaths = city.deaths.with_columns(pl.col("id_text").map_elements(_id18_of, return_dtype=pl.String).alias("id18"))
    per_person = deaths.group_by("id18").agg(pl.col("death_date").min(), pl.col("registered_date").min())
    received = city.loadable_payments.filter(
        ~pl.col("benefit_type").is_in(sorted(DEATH_RELATED))
        & (pl.col("pay_status").is_null() | (pl.col("pay_status") == SUCCEEDED)))
    paid_groups = received_groups(received).select("id18", "scheme", "benefit_type", "period")
    paid = (received.join(paid_groups, on=["id18", "scheme", "benefit_type", "period"])
            .join(truth.select(pl.col("region_code").alias("county"), pl.col("subject_key").alias("id18")),
                  on=["county", "id18"])
            .join(per_person, on="id18")
            .filter((pl.col("period") > pl.col("death_date").dt.year() * 12 + pl.col("death_date").dt.month() - 1)
                    & (pl.col("pay_date") > pl.col("registered_date"))))
    rows = (paid.group_by("county", "id18")
            .agg(pl.col("registered_date").first(), pl.col("period").n_unique().alias("months"),
                 (pl.col("amount_fen").sum() / 100).alias("amount"),
                 pl.col("operator_id").drop_nulls().unique().sort().str.join(";").alias("operators"),
                 pl.col("reviewer_id").drop_nulls().unique().sort().str.join(";").alias("reviewers"))
            .sort("county", "id18"))
    return rows.select(pl.col("county").alias("region_code"), pl.col("id18").alias("subject_key"),
                       "registered_date", "months", pl.col("amount").round(2), "operators", "reviewers")


def write_staff_and_operations(city: City, out_dir: Path, files: dict) -> None:
    if city.operations is None:
        return
    for position, county in enumerate(city.counties):
        layout = layout_for(position)
        english = layout.payment_headers == PAYMENT_COLUMNS
        name = "operations.txt" if english else OPERATIONS_FILE.get(layout.encoding, "operations.csv")
        rows = city.operations.filter(pl.col("county") == county).select(
            pl.col("op_id"), pl.col("op_time").dt.strftime("%Y-%m-%d %H:%M:%S"), pl.col("op_type"), pl.col("id_text"),
            pl.col("operator_id"), pl.col("reviewer_id"), pl.col("old_value"), pl.col("new_value"),
            pl.col("months").cast(pl.String), pl.col("county"))
        rows.columns = list(OPERATION_COLUMNS if english else OPERATION_HEADERS)
        write_text(rows, out_dir / county / name, layout.encoding, "\t" if english else ",", layout.line_terminator)
        files[f"{county}/{name}"] = rows.height
    staff = city.staff.select(
        "operator_id", "id_text", "name", "bank_account",
        (pl.col("county").replace_strict(COUNTY_NAMES, return_dtype=pl.String) + "社会保险事业管理中心").alias("unit"),
        "county")
    staff.columns = list(STAFF_HEADERS)
    write_text(staff, out_dir / "reference" / STAFF_FILE, "utf-8-sig")
    files[f"reference/{STAFF_FILE}"] = staff.height
    city.management_truth.with_columns(pl.col("registered_date").cast(pl.String)).write_csv(
        out_dir / "management_truth.csv")
