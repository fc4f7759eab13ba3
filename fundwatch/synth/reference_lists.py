"""People who appear only on the other departments' lists (most of every list)."""

from __future__ import annotations

import numpy as np
import polars as pl

from fundwatch.synth.cast import Cast
from fundwatch.synth.codes import CITY_COUNTIES, COUNTY_NAMES, EMPLOYERS, FORMER_COUNTIES, OFFENCES, PUBLIC_UNITS
from fundwatch.synth.identities import RARE_NAMES, ids_avoiding, random_names
from fundwatch.synth.months import random_dates_in
from fundwatch.synth.population import between, death_reports, expand_months


def add_reference_only_people(cast: Cast, recipients: int) -> None:
    """People who appear only on the other departments' lists (most of every list)."""
    rng = np.random.default_rng([cast.seed, 20])
    m0, m1 = cast.m0, cast.m1
    sizes = {"deaths": max(20, recipients // 25), "prisoners": max(10, recipients // 100),
             "public_employees": max(20, recipients // 20), "workers": max(20, recipients // 30)}
    age_years = {"deaths": (40, 100), "prisoners": (18, 70), "public_employees": (22, 59), "workers": (20, 55)}
    regions = np.array(CITY_COUNTIES + FORMER_COUNTIES)
    for group, n in sizes.items():
        male = rng.random(n) < (0.9 if group == "prisoners" else 0.5)
        birth_month = m1 - rng.integers(*age_years[group], n) * 12 - rng.integers(0, 12, n)
        birth = random_dates_in(rng, birth_month)
        region = np.where(rng.random(n) < 0.8, np.array(cast.counties)[rng.integers(0, len(cast.counties), n)],
                          regions[rng.integers(0, len(regions), n)])
        ids = ids_avoiding(rng, region, birth, male, cast.used_ids)
        cast.used_ids.update(ids.tolist())
        person = np.arange(n) + cast.next_person
        cast.next_person += n
        names = random_names(rng, male)
        if group == "deaths":
            names[: len(RARE_NAMES)] = RARE_NAMES[: min(n, len(RARE_NAMES))]
        legacy = (group == "prisoners") & (birth < np.datetime64("1975-01-01")) & (rng.random(n) < 0.3)
        cast.frames["persons"].append(pl.DataFrame({
            "person": person, "home": region, "male": male, "birth": birth, "name": names, "id18": ids,
            "id_recipients": pl.Series([None] * n, dtype=pl.String),
            "id_payments": pl.Series([None] * n, dtype=pl.String),
            "account_owner": person, "recipient": np.zeros(n, dtype=bool), "plain": np.zeros(n, dtype=bool),
        }))
        if group == "deaths":
            reports = death_reports(rng, person, random_dates_in(rng, between(rng, m0 - 24, m1, n)))
            cast.frames["deaths"].append(reports)
        elif group == "prisoners":
            start_month = between(rng, m0 - 60, m1, n)
            serving = rng.random(n) < 0.3
            end = random_dates_in(rng, start_month + rng.integers(6, 121, n))
            cast.frames["prisoners"].append(pl.DataFrame({
                "person": person, "sentence_start": random_dates_in(rng, start_month),
                "sentence_end": pl.Series(np.where(serving, np.datetime64("NaT"), end)),
                "offence": np.array(OFFENCES)[rng.integers(0, len(OFFENCES), n)],
            }).with_columns(pl.Series("legacy", legacy)))
        elif group == "public_employees":
            join_month = np.minimum(birth_month + rng.integers(22, 30, n) * 12, m1 - 1)
            joined = random_dates_in(rng, join_month)
            left = rng.random(n) < 0.1
            cast.frames["public_employees"].append(pl.DataFrame({
                "person": person,
                "unit_name": np.char.add(np.array([COUNTY_NAMES.get(r, "杭州市") for r in region], dtype="U8"),
                                         np.array(PUBLIC_UNITS)[rng.integers(0, len(PUBLIC_UNITS), n)]),
                "start_date": joined,
                "end_date": pl.Series(np.where(
                    left, random_dates_in(rng, between(rng, np.maximum(join_month + 1, m0 - 36), np.full(n, m1))),
                    np.datetime64("NaT"))),
            }))
        else:
            first = between(rng, m0 - 12, m1, n)
            last = between(rng, first, np.full(n, m1))
            cast.frames["employment"].append(expand_months(person, first, last, {"unit_name": np.char.add(
                np.array([COUNTY_NAMES.get(r, "杭州市") for r in region], dtype="U8"),
                np.array(EMPLOYERS)[rng.integers(0, len(EMPLOYERS), n)])}))
