"""The base population: lawful recipients, their benefits, deaths, sentences, posts and jobs,
vectorised. It triggers no rule; only the plants do.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fundwatch.synth.cast import Cast
from fundwatch.synth.codes import (ACCOUNT_REFUND, BACK_PAY, COUNTY_NAMES, DEATH_SOURCES, EMPLOYERS,
                                   FIRST_MONTH_OF_1998, FUNERAL, ILLNESS, INJURY, NORMAL, OFFENCES, OTHER, PENSION,
                                   PUBLIC_UNITS, RESIDENT_SCHEME_LAUNCH, SPECIAL, SURVIVOR, UNEMPLOYMENT)
from fundwatch.synth.identities import ids_avoiding, random_names
from fundwatch.synth.months import dates_in, random_dates_in


def _pick(rng: np.random.Generator, values: tuple, shares: tuple, n: int) -> np.ndarray:
    return np.array(values)[rng.choice(len(values), n, p=np.array(shares) / sum(shares))]


def between(rng: np.random.Generator, low, high, size: int | None = None) -> np.ndarray:
    """Uniform integers in [low, high], element-wise."""
    low, high = np.asarray(low), np.asarray(high)
    shape = np.broadcast_shapes(low.shape, high.shape, () if size is None else (size,))
    return low + np.floor(rng.random(shape) * (high - low + 1)).astype(np.int64)


def add_base_population(cast: Cast, n: int) -> None:
    rng = np.random.default_rng([cast.seed, 10])
    m0, m1, counties = cast.m0, cast.m1, cast.counties
    county_index = rng.choice(len(counties), n, p=rng.dirichlet(np.full(len(counties), 20.0)))
    county = np.array(counties)[county_index]
    scheme = _pick(rng, ("110", "120", "170", "210", "410"), (0.55, 0.10, 0.24, 0.07, 0.04), n)
    male_share = np.select([scheme == "110", scheme == "120", scheme == "170", scheme == "210"],
                           [0.55, 0.5, 0.48, 0.55], 0.8)
    male = rng.random(n) < male_share
    retiree, resident = np.isin(scheme, ("110", "120")), scheme == "170"
    unemployed, injured = scheme == "210", scheme == "410"

    personnel = np.where(scheme == "110", np.where(rng.random(n) < 0.8, "工人", "干部"),
                         np.where(scheme == "120", np.where(rng.random(n) < 0.7, "干部", "工人"),
                                  np.where(injured, "工人", "")))
    unit = np.select([scheme == "110", scheme == "120", resident],
                     [np.where(rng.random(n) < 0.85, "企业", "灵活就业"),
                      np.where(rng.random(n) < 0.4, "机关", "事业单位"), "城乡居民"], "企业")
    personnel = np.where(unit == "灵活就业", "工人", personnel)
    retirement = np.where(retiree, _pick(rng, (NORMAL, SPECIAL, ILLNESS, OTHER), (0.85, 0.07, 0.05, 0.03), n), "")
    retirement = np.where((scheme == "120") & (retirement == SPECIAL), NORMAL, retirement)
    minimum_years = np.select(
        [retirement == NORMAL, retirement == SPECIAL, retirement == ILLNESS, retirement == OTHER],
        [np.where(male, 60, np.where(personnel == "干部", 55, 50)), np.where(male, 55, 45),
         np.where(male, 50, 45), rng.integers(45, 61, n)], 60)

    start = np.zeros(n, dtype=np.int64)
    birth_month = np.zeros(n, dtype=np.int64)
    delay = np.minimum(rng.geometric(0.45, n) - 1, 12)
    start[retiree] = m1 - rng.integers(0, 361, int(retiree.sum()))
    birth_month[retiree] = start[retiree] - minimum_years[retiree] * 12 - delay[retiree]

    launch_span = min(180, m1 - RESIDENT_SCHEME_LAUNCH)
    start[resident] = m1 - rng.integers(0, launch_span + 1, int(resident.sum()))
    already_old = resident & (start < 2012 * 12)
    resident_age = np.where(already_old, rng.integers(0, 241, n), np.minimum(delay, 6))
    birth_month[resident] = start[resident] - 720 - resident_age[resident]

    contribution = np.where(start >= FIRST_MONTH_OF_1998, 180 + rng.integers(0, 301, n), 120 + rng.integers(0, 301, n))
    contribution = np.where(retiree, np.maximum(np.minimum(contribution, (minimum_years - 16) * 12), 180), contribution)
    contribution = np.where(resident, np.where(resident_age > 60, 0, rng.integers(15, 181, n)), contribution)

    contribution = np.where(unemployed, rng.integers(12, 361, n), contribution)
    allowed = np.where(contribution < 60, 12, np.where(contribution < 120, 18, 24))
    duration = np.where(unemployed, between(rng, 2, allowed), 0)
    start = np.where(unemployed, between(rng, m0 - duration + 1, m1), start)
    unemployment_end = start + duration - 1
    birth_month = np.where(unemployed, start - rng.integers(22, 57, n) * 12 - rng.integers(0, 12, n), birth_month)

    birth_month = np.where(injured, m1 - rng.integers(28, 59, n) * 12 - rng.integers(0, 12, n), birth_month)
    start = np.where(injured, between(rng, np.maximum(birth_month + 216, 1995 * 12), m1), start)
    contribution = np.where(injured, rng.integers(12, 300, n), contribution)

    base_fen = np.select(
        [scheme == "110", scheme == "120", resident, unemployed],
        [rng.integers(200000, 600001, n), rng.integers(400000, 900001, n), rng.integers(15000, 40001, n),
         rng.integers(150000, 220001, n)], rng.integers(250000, 600001, n))

    pensioner = retiree | resident
    death_chance = np.where(resident, 0.03, 0.012) * cast.months / 12
    dies = pensioner & (rng.random(n) < death_chance)
    death_month = between(rng, np.maximum(start, m0), m1)
    imprisoned = pensioner & ~dies & (start < m0) & (rng.random(n) < 0.002) & (cast.months >= 6)
    sentenced = between(rng, m0 + 1, m1 - 2, n)
    still_serving = rng.random(n) < 0.4
    released = np.where(still_serving, -1, sentenced + rng.integers(2, 13, n))
    still_serving |= released > m1
    late_start = retiree & (start >= m0) & ~dies & (rng.random(n) < 0.3)
    delayed_by = np.where(late_start, rng.integers(1, 3, n), 0)
    late_start &= start + delayed_by <= m1
    delayed_by = np.where(late_start, delayed_by, 0)

    status = np.where(dies | (unemployed & (unemployment_end < m1)), "终止",
                      np.where(imprisoned & still_serving, "暂停", "正常"))
    birth = random_dates_in(rng, birth_month)
    person = np.arange(n) + len(cast.person_rows)
    public_employee = (scheme == "120") & ~dies & ~imprisoned & (rng.random(n) < 0.02)
    adjusted = retiree & ~dies & ~imprisoned & (start < m0 - 1) & (rng.random(n) < 0.01) & (cast.months >= 5)

    ids = ids_avoiding(rng, county, birth, male, cast.used_ids)
    cast.used_ids.update(ids.tolist())
    x_lower = (county_index == 2) & (np.char.endswith(ids, "X")) & (rng.random(n) < 0.5)
    old = birth < np.datetime64("1950-01-01")
    legacy_both = (county_index == 1) & old & (rng.random(n) < 0.05)
    legacy_payments = (county_index == 1) & old & ~legacy_both & (rng.random(n) < 0.05)
    legacy = pl.Series(ids).str.slice(0, 6) + pl.Series(ids).str.slice(8, 9)
    legacy = legacy.to_numpy().astype("U15")
    id_recipients = np.where(x_lower, np.char.lower(ids), np.where(legacy_both, legacy, None))
    id_payments = np.where(x_lower, np.char.lower(ids), np.where(legacy_both | legacy_payments, legacy, None))
    plain = ((retiree | resident | injured) & ~dies & ~imprisoned & ~public_employee & (start < m0) & ~adjusted
             & ~x_lower & ~legacy_both & ~legacy_payments)

    cast.frames["persons"].append(pl.DataFrame({
        "person": person, "home": county, "male": male, "birth": birth,
        "name": random_names(rng, male), "id18": ids,
        "id_recipients": pl.Series(id_recipients.tolist(), dtype=pl.String),
        "id_payments": pl.Series(id_payments.tolist(), dtype=pl.String),
        "account_owner": person, "recipient": np.ones(n, dtype=bool), "plain": plain,
    }))
    cast.frames["recipients"].append(pl.DataFrame({
        "person": person, "county": county, "scheme": scheme, "personnel_type": personnel, "unit_type": unit,
        "retirement_type": retirement, "benefit_start": start, "status": status,
        "contribution_months": contribution,
    }).with_columns(pl.lit(None, pl.Date).alias("shown_birth"), pl.lit(None, pl.Boolean).alias("shown_male")))

    benefit_type = np.select([unemployed, injured], [UNEMPLOYMENT, INJURY], PENSION)
    regular_last = np.select([dies, imprisoned, unemployed], [death_month, sentenced - rng.integers(0, 2, n),
                                                               unemployment_end], m1)
    resumed = imprisoned & ~still_serving
    resume_month = released + rng.integers(0, 2, n)
    spells = pl.DataFrame({
        "person": np.concatenate([person, person[resumed]]),
        "county": np.concatenate([county, county[resumed]]),
        "scheme": np.concatenate([scheme, scheme[resumed]]),
        "benefit_type": np.concatenate([benefit_type, benefit_type[resumed]]),
        "first": np.concatenate([start + delayed_by, resume_month[resumed]]),
        "last": np.concatenate([regular_last, np.full(int(resumed.sum()), m1)]),
        "base_fen": np.concatenate([base_fen, base_fen[resumed]]),
        "raises": np.concatenate([~unemployed, np.ones(int(resumed.sum()), dtype=bool)]),
    })
    cast.frames["spells"].append(spells)

    one_offs = []
    for k in range(2):
        back_paid = late_start & (delayed_by > k)
        month = start[back_paid] + k
        one_offs.append(pl.DataFrame({
            "person": person[back_paid], "county": county[back_paid], "scheme": scheme[back_paid],
            "benefit_type": np.full(len(month), BACK_PAY), "period": month,
            "paid_month": start[back_paid] + delayed_by[back_paid],
            "amount_fen": base_fen[back_paid],
        }))
    adjustment_month = between(rng, m0, m1 - 3, n)
    one_offs.append(pl.DataFrame({
        "person": person[adjusted], "county": county[adjusted], "scheme": scheme[adjusted],
        "benefit_type": np.full(int(adjusted.sum()), BACK_PAY), "period": adjustment_month[adjusted],
        "paid_month": adjustment_month[adjusted] + rng.integers(1, 4, n)[adjusted],
        "amount_fen": rng.integers(5000, 30001, n)[adjusted],
    }))
    after_death = death_month + rng.integers(1, 3, n)
    for kind, chosen, amount in (
        (FUNERAL, dies & retiree, rng.integers(500000, 800001, n)),
        (SURVIVOR, dies & retiree & (rng.random(n) < 0.5), base_fen * rng.integers(9, 21, n)),
        (ACCOUNT_REFUND, dies & resident, rng.integers(50000, 3000001, n)),
    ):
        chosen = chosen & (after_death <= m1)
        one_offs.append(pl.DataFrame({
            "person": person[chosen], "county": county[chosen], "scheme": scheme[chosen],
            "benefit_type": np.full(int(chosen.sum()), kind),
            "period": after_death[chosen], "paid_month": after_death[chosen], "amount_fen": amount[chosen],
        }))
    cast.frames["one_offs"].append(pl.concat(one_offs))

    dead = np.flatnonzero(dies)
    death_day = random_dates_in(rng, death_month[dead])
    cast.frames["deaths"].append(death_reports(rng, person[dead], death_day))

    jailed = np.flatnonzero(imprisoned)
    cast.frames["prisoners"].append(pl.DataFrame({
        "person": person[jailed],
        "sentence_start": random_dates_in(rng, sentenced[jailed]),
        "sentence_end": pl.Series(np.where(still_serving[jailed], np.datetime64("NaT"),
                                           random_dates_in(rng, np.where(still_serving, m1, released)[jailed]))),
        "offence": np.array(OFFENCES)[rng.integers(0, len(OFFENCES), len(jailed))],
    }))

    employee = np.flatnonzero(public_employee)
    cast.frames["public_employees"].append(pl.DataFrame({
        "person": person[employee],
        "unit_name": np.char.add(np.array([COUNTY_NAMES[c] for c in county[employee]], dtype="U8"),
                                 np.array(PUBLIC_UNITS)[rng.integers(0, len(PUBLIC_UNITS), len(employee))]),
        "start_date": random_dates_in(rng, birth_month[employee] + rng.integers(22, 30, len(employee)) * 12),
        "end_date": pl.Series(dates_in(start[employee] - 1, np.full(len(employee), 31))),
    }))

    spans = [(unemployed & (rng.random(n) < 0.85), np.maximum(start - rng.integers(6, 37, n), m0 - 12), start - 1),
             (unemployed & (unemployment_end < m1) & (rng.random(n) < 0.5),
              unemployment_end + 1 + rng.integers(0, 4, n), np.full(n, m1))]
    employers = np.char.add(np.array([COUNTY_NAMES[c] for c in counties])[county_index],
                            np.array(EMPLOYERS)[rng.integers(0, len(EMPLOYERS), n)])
    for chosen, first, last in spans:
        chosen = chosen & (first <= last)
        cast.frames["employment"].append(expand_months(person[chosen], first[chosen], last[chosen],
                                                       {"unit_name": employers[chosen]}))

    _add_outliers(cast, rng, person[plain & (scheme == "110")])


def death_reports(rng: np.random.Generator, persons: np.ndarray, earliest: np.ndarray) -> pl.DataFrame:
    """One to three departments report each death, the later ones a few days after the first."""
    n = len(persons)
    reports = rng.choice((1, 2, 3), n, p=(0.5, 0.35, 0.15))
    order = np.argsort(rng.random((n, 3)), axis=1)
    rows = []
    for rank in range(3):
        chosen = reports > rank
        lag = np.zeros(n, dtype=np.int64) if rank == 0 else rng.integers(1, 7, n)
        rows.append(pl.DataFrame({
            "person": persons[chosen],
            "death_date": (earliest + lag.astype("timedelta64[D]"))[chosen],
            "source": np.array(DEATH_SOURCES)[order[:, rank]][chosen],
        }))
    return pl.concat(rows).with_columns(pl.lit(None, pl.String).alias("id_text"))


def expand_months(persons: np.ndarray, first: np.ndarray, last: np.ndarray, extra: dict) -> pl.DataFrame:
    lengths = np.maximum(last - first + 1, 0)
    owner = np.repeat(np.arange(len(persons)), lengths)
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pl.DataFrame({"person": persons[owner], "period": first[owner] + offset,
                         **{k: np.asarray(v)[owner] for k, v in extra.items()}})


def _add_outliers(cast: Cast, rng: np.random.Generator, candidates: np.ndarray) -> None:
    """A few lawful-looking people whose amount jumps eightfold for some months (for M01 only)."""
    count = min(len(candidates), max(3, len(candidates) // 2500))
    for person in rng.choice(candidates, count, replace=False) if count else []:
        first = cast.m0 + int(rng.integers(0, max(cast.months - 3, 1)))
        cast.outliers.append((int(person), first, first + int(rng.integers(1, 3))))
