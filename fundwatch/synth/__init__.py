"""Synthetic city input folders (市县联动) with planted improper payments and their ground truth.

`synth(out_dir, ...)` writes one folder per county and `reference/` beside them, in the awkward
shapes real exports arrive in (../shared/contract/INPUT.md), plus at the root:

- `ground_truth.csv`: every planted case of a CLUES.md rule (`plant`: must fire) and every
  near-miss (`near_miss`: must not fire for that rule). Columns:
  - `rule_id`, `region_code` (the clue's 行政区划代码: for a cross-county case every county,
    `;`-joined), `subject_key` (ID number, bank account or staff ID), `kind`;
  - `scope`: `county` — the case lies within the county of `region_code`: a county run of it
    finds it (plant) or must not (near-miss), and so does a city run, whose list holds every
    county's clues. `city` — the case spans the counties of `region_code` and only a city run
    sees it: a city-scope plant must fire in the city run and in **no** county run (each county
    alone sees half of it), a city-scope near-miss must fire in neither;
  - `case`: which kind of plant or near-miss this is (a stable name, for tests and readers);
  - `amount`: the expected 涉及金额 in 元 (two decimals) where CLUES.md defines it for the rule and
    synth states it; empty otherwise;
  - `note`: the facts in words.
- `expected_quarantine.csv`: the rows the loader must set aside, by file and physical line.

The base population is built so that it triggers no rule; only the planted cases do. Payments
carry 发放状态 in some counties' exports (empty or 成功 in the base population) and not at all
in others; some counties export every resident pension (170) as two rows a month, 基础养老金 and
个人账户养老金. `build_city` returns the same data as canonical frames (before formatting) for
tests; `shuffle_exports` copies an input folder with every table's data rows in another order.

The plants of each family of rules are in `plants/`; the base population in `population.py`, the
people only on reference lists in `reference_lists.py`; `assemble.py` turns them into tables,
`payments.py`, `operations.py` and `tipoffs.py` build the tables of their names, `write.py` writes.
"""

from fundwatch.synth.city import City
from fundwatch.synth.generate import build_city, synth
from fundwatch.synth.shuffle import shuffle_exports
from fundwatch.synth.write import write_city

__all__ = ["City", "build_city", "shuffle_exports", "synth", "write_city"]
