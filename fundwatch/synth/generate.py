"""Building the city from a seed, and writing it."""

from __future__ import annotations

import math
from pathlib import Path

from fundwatch.synth.assemble import assemble
from fundwatch.synth.cast import Cast
from fundwatch.synth.city import City
from fundwatch.synth.codes import CITY_COUNTIES
from fundwatch.synth.months import month_index
from fundwatch.synth.operations import add_staff_and_operations
from fundwatch.synth.plants.accounts import plant_a01, plant_a02, plant_a03
from fundwatch.synth.plants.deaths import plant_d01
from fundwatch.synth.plants.duplicates import plant_p01, plant_p02, plant_p03
from fundwatch.synth.plants.eligibility import (plant_e01, plant_e02, plant_e03, plant_e04, plant_e05,
                                                plant_e06)
from fundwatch.synth.plants.identity import plant_d02, plant_p04
from fundwatch.synth.plants.staff import plant_staff_rules
from fundwatch.synth.population import add_base_population
from fundwatch.synth.reference_lists import add_reference_only_people
from fundwatch.synth.write import write_city


# Every rule's plants, in the order they draw from the seeded generator (the order is part of the data)
PLANTS = (plant_d01, plant_p01, plant_p02, plant_p03, plant_e01, plant_e02, plant_e03, plant_e04, plant_e05, plant_e06,
          plant_a01, plant_a02, plant_a03, plant_d02, plant_p04, plant_staff_rules)


def _plants_per_rule(persons: int) -> int:
    return 3 + max(0, int(math.log2(max(persons, 1) / 3000)))


def build_city(counties: int = 3, persons: int = 3000, months: int = 24, seed: int = 0,
               start_period: str = "202301") -> City:
    if not 1 <= counties <= len(CITY_COUNTIES):
        raise ValueError(f"counties must be 1..{len(CITY_COUNTIES)}")
    if months < 13:
        raise ValueError("months must be at least 13 (unemployment plants need 13 periods)")
    first_month = month_index(start_period)
    cast = Cast(list(CITY_COUNTIES[:counties]), first_month, first_month + months - 1, seed)
    for plant in PLANTS:
        plant(cast, _plants_per_rule(persons))
    planted_people = len({r["person"] for r in cast.recipient_rows})
    if persons < planted_people + 100:
        raise ValueError(f"persons must be at least {planted_people + 100} (the plants alone need {planted_people})")
    cast.next_person = len(cast.person_rows) + persons - planted_people
    add_base_population(cast, persons - planted_people)
    add_reference_only_people(cast, persons)
    city = assemble(cast)
    add_staff_and_operations(cast, city)
    return city


def synth(out_dir: Path, counties: int = 3, persons: int = 3000, months: int = 24, seed: int = 0,
          start_period: str = "202301") -> dict:
    """Write a city input folder under `out_dir`; return a summary of what was written and planted."""
    city = build_city(counties=counties, persons=persons, months=months, seed=seed, start_period=start_period)
    return write_city(city, Path(out_dir))
