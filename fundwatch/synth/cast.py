"""The cast of the city as it is built: people, their benefit records and payments, plants and
reference rows, with the small helpers the plants use.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from fundwatch.idnumber import make_id
from fundwatch.synth.city import Expect
from fundwatch.synth.codes import BACK_PAY, INJURY, NORMAL, PENSION, RETURNED, UNEMPLOYMENT
from fundwatch.synth.identities import random_names
from fundwatch.synth.layouts import layout_for
from fundwatch.synth.months import amount_in_month, day_in


class Cast:
    """Accumulates people, their benefit records and payments, plants and reference rows."""

    def __init__(self, counties: list[str], first_month: int, last_month: int, seed: int):
        self.counties = counties
        self.m0, self.m1 = first_month, last_month
        self.months = last_month - first_month + 1
        self.first_year = first_month // 12
        self.seed = seed
        self.rng = np.random.default_rng([seed, 1])
        self.person_rows: list[dict] = []
        self.recipient_rows: list[dict] = []
        self.spell_rows: list[dict] = []
        self.one_off_rows: list[dict] = []
        self.status_rows: list[dict] = []  # a regular monthly payment that was not received
        self.reversal_rows: list[dict] = []  # a regular monthly payment reversed (冲正) later
        self.death_rows: list[dict] = []
        self.prisoner_rows: list[dict] = []
        self.public_employee_rows: list[dict] = []
        self.employment_rows: list[dict] = []
        self.truth_rows: list[dict] = []
        self.used_ids: set[str] = set()
        self.frames: dict[str, list[pl.DataFrame]] = {k: [] for k in (
            "persons", "recipients", "spells", "one_offs", "deaths", "prisoners", "public_employees",
            "employment")}
        self.skipped: list[str] = []
        self.a03_plants: list[tuple[str, str, int]] = []  # county, staff, payments to self-approve
        self.a03_near_misses: list[dict] = []
        self.outliers: list[tuple[int, int, int]] = []  # person, first and last month paid eightfold
        self.next_person = 0  # first index for people who are only on reference lists
        # each county pays on its own day of the month (10th-20th), moving a little month to month
        self.county_pay_days = (np.random.default_rng([seed, 2]).integers(10, 17, (len(counties), 1))
                                + np.random.default_rng([seed, 3]).integers(0, 5, (1, self.months + 3)))

    # -- small helpers used by the plants ------------------------------------------------------

    def randint(self, low: int, high: int) -> int:
        """Uniform integer in [low, high]."""
        return int(self.rng.integers(low, high + 1))

    def county(self, i: int) -> str:
        return self.counties[i % len(self.counties)]

    def base_amount(self, scheme: str) -> int:
        low, high = {"110": (2000, 6000), "120": (4000, 9000), "170": (150, 400), "210": (1500, 2200),
                     "410": (2500, 6000)}[scheme]
        return self.randint(low * 100, high * 100)

    def pay_day(self, county: str, month: int) -> date:
        return day_in(month, int(self.county_pay_days[self.counties.index(county), month - self.m0]))

    def random_day_in(self, month: int) -> date:
        """One of the first 28 days of `month`."""
        return day_in(month, self.randint(1, 28))

    def birth_for(self, start: int, age_months: int, day: int | None = None) -> date:
        birth_month = start - age_months
        return day_in(birth_month, day if day is not None else self.randint(1, 28))

    def person(self, county: str, male: bool, birth: date, *, name: str | None = None,
               want_check_x: bool = False, female_id: bool = False, area: str | None = None) -> int:
        """A person living in `county`, whose ID number carries `area` (default: the county)."""
        id_male = male and not female_id
        sequence = self.randint(0, 499)
        while True:
            id18 = make_id(area or county, birth, sequence, id_male)
            if id18 not in self.used_ids and (id18[-1] == "X" or not want_check_x):
                break
            sequence = (sequence + 1) % 500
        self.used_ids.add(id18)
        index = len(self.person_rows)
        self.person_rows.append(dict(
            person=index, home=county, male=male, birth=birth,
            name=name or str(random_names(self.rng, np.array([male]))[0]), id18=id18,
            id_recipients=None, id_payments=None, account_owner=index, recipient=True, plain=False))
        return index

    def set_ids(self, person: int, *, recipients: str | None = None, payments: str | None = None) -> None:
        row = self.person_rows[person]
        row["id_recipients"] = recipients if recipients is not None else row["id_recipients"]
        row["id_payments"] = payments if payments is not None else row["id_payments"]

    def id18(self, person: int) -> str:
        return self.person_rows[person]["id18"]

    def recipient(self, person: int, county: str, scheme: str, benefit_start: int, *, status: str = "正常",
                  retirement_type: str = "", personnel_type: str = "", unit_type: str | None = None,
                  contribution_months: int | None = None, shown_birth: date | None = None,
                  shown_male: bool | None = None) -> None:
        if unit_type is None:
            unit_type = {"110": "企业", "120": "事业单位", "170": "城乡居民", "210": "企业", "410": "企业"}[scheme]
        if contribution_months is None and scheme in ("110", "120"):
            contribution_months = self.randint(200, 420)
        if contribution_months is None and scheme == "170":
            contribution_months = self.randint(15, 180)
        self.recipient_rows.append(dict(
            person=person, county=county, scheme=scheme, personnel_type=personnel_type, unit_type=unit_type,
            retirement_type=retirement_type, benefit_start=benefit_start, status=status,
            contribution_months=contribution_months, shown_birth=shown_birth, shown_male=shown_male))

    def pay(self, person: int, county: str, scheme: str, first: int, last: int, base_fen: int,
            benefit_type: str | None = None) -> None:
        if benefit_type is None:
            benefit_type = {"210": UNEMPLOYMENT, "410": INJURY}.get(scheme, PENSION)
        self.spell_rows.append(dict(person=person, county=county, scheme=scheme, benefit_type=benefit_type,
                                    first=first, last=last, base_fen=base_fen, raises=scheme != "210"))

    def pay_to_end(self, person: int, county: str, scheme: str, first: int) -> None:
        """Paid every month from `first` to the window's last, at a new base amount of the scheme."""
        self.pay(person, county, scheme, first, self.m1, self.base_amount(scheme))

    def one_off(self, person: int, county: str, scheme: str, benefit_type: str, period: int, pay_date: date,
                amount_fen: int, status: str | None = None) -> None:
        self.one_off_rows.append(dict(person=person, county=county, scheme=scheme, benefit_type=benefit_type,
                                      period=period, pay_date=pay_date, amount_fen=amount_fen, pay_status=status))

    def back_pay(self, person: int, county: str, scheme: str, periods, paid_month: int, base_fen: int) -> None:
        """补发 of `periods` at each period's regular amount, all paid on the county's pay day of `paid_month`."""
        for period in periods:
            self.one_off(person, county, scheme, BACK_PAY, period, self.pay_day(county, paid_month),
                         amount_in_month(base_fen, period, self.first_year))

    def one_off_in_month(self, person: int, county: str, scheme: str, benefit_type: str, month: int,
                         amount_fen: int) -> None:
        """A one-off for period `month`, paid on the county's pay day of that month."""
        self.one_off(person, county, scheme, benefit_type, month, self.pay_day(county, month), amount_fen)

    def not_received(self, person: int, county: str, scheme: str, period: int, status: str = RETURNED,
                     benefit_type: str | None = None) -> None:
        """The regular payment of `period` (from `pay`) shows 失败 or 退回."""
        if county not in self.status_counties():
            raise ValueError(f"{county}'s export has no 发放状态 column")
        self.status_rows.append(dict(person=person, county=county, scheme=scheme,
                                     benefit_type=benefit_type or PENSION, period=period, pay_status=status))

    def reverse(self, person: int, county: str, scheme: str, period: int, in_month: int,
                benefit_type: str | None = None) -> None:
        """A negative row in `in_month` for the amount of the regular payment of `period`."""
        self.reversal_rows.append(dict(person=person, county=county, scheme=scheme,
                                       benefit_type=benefit_type or PENSION, period=period,
                                       pay_date=self.pay_day(county, in_month)))

    def monthly(self, person: int, scheme: str, period: int) -> int:
        """The regular monthly amount (fen) of the person's last `pay` spell of `scheme`."""
        spell = next(s for s in reversed(self.spell_rows) if s["person"] == person and s["scheme"] == scheme)
        if not spell["raises"]:
            return spell["base_fen"]
        return amount_in_month(spell["base_fen"], period, self.first_year)

    def status_counties(self) -> list[str]:
        return [c for i, c in enumerate(self.counties) if layout_for(i).status_header]

    def status_county(self, i: int) -> str:
        counties = self.status_counties()
        return counties[i % len(counties)]

    def split_counties(self) -> list[str]:
        return [c for i, c in enumerate(self.counties) if layout_for(i).splits_resident_pension]

    def death(self, person: int, when: date, source: str, id_text: str | None = None) -> None:
        self.death_rows.append(dict(person=person, death_date=when, source=source, id_text=id_text))

    def truth(self, rule: str, region: str, subject: str | tuple, kind: str, case: str, note: str, *,
              scope: str = "county", expect: Expect | None = None) -> None:
        self.truth_rows.append(dict(rule_id=rule, region_code=region, subject_key=subject, kind=kind, scope=scope,
                                    case=case, expect=expect, note=note))

    def retiree(self, county: str, scheme: str, *, male: bool, age_months: int, start: int,
                retirement_type: str = NORMAL, personnel_type: str | None = None, status: str = "正常",
                contribution_months: int | None = None, birth_day: int | None = None) -> int:
        """A 110/120/170 recipient whose benefit starts at `start`, `age_months` after the birth month."""
        if personnel_type is None:
            personnel_type = "" if scheme == "170" else ("干部" if scheme == "120" else "工人")
        person = self.person(county, male, self.birth_for(start, age_months, birth_day))
        self.recipient(person, county, scheme, start, status=status,
                       retirement_type="" if scheme == "170" else retirement_type,
                       personnel_type=personnel_type, contribution_months=contribution_months)
        return person

    def ordinary_retiree(self, county: str, scheme: str = "110", start: int | None = None,
                         status: str = "正常") -> int:
        """A lawful retiree (or resident pensioner) who started before the window."""
        male = bool(self.rng.random() < 0.5)
        if start is None:
            start = self.m0 - self.randint(6, 120)
        if scheme == "170":
            age = 720 + self.randint(0, 6)
        elif male:
            age = 720 + self.randint(0, 3)
        else:
            age = (660 if scheme == "120" else 600) + self.randint(0, 3)
        return self.retiree(county, scheme, male=male, age_months=age, start=start, status=status)

    def paid_retiree(self, county: str, scheme: str = "110", start: int | None = None) -> int:
        """An ordinary retiree paid to the window's end: from a year before it, or from `start`."""
        person = self.ordinary_retiree(county, scheme, start=start)
        self.pay_to_end(person, county, scheme, self.m0 - 12 if start is None else start)
        return person


def rows_frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
