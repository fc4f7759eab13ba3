"""Running real rules on hand-made exports: load through the real loader, link, run, assemble, read clues
(the county flow's stages, on one connection)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from checks.registry import load_registry
from checks.rule_runner import assemble_clues, run_rule, write_catalogue
from fundwatch.db import connect
from fundwatch.idnumber import from_legacy15
from fundwatch.ingest import discover
from fundwatch.load import load_inputs
from models.linkage import link_for_rules
from models.scoring import score_recipients
from tests.builders import COUNTY, write_county


def clues_for(tmp_path: Path, payments: list[dict], recipients: list[dict], rules: tuple[str, ...],
              **references: list[dict]) -> dict[tuple[str, str], dict]:
    """{(rule_id, subject_key): clue} for the given rules run on one county's exports."""
    county = write_county(tmp_path / "in", payments, recipients, **references)
    registry = load_registry()
    with connect(tmp_path / "run.duckdb") as con:
        load_inputs(con, discover(county), tmp_path)
        write_catalogue(con, registry)
        link_for_rules(con, [registry.rule(r) for r in rules])  # D02, P04: identity_links before the rules
        outcomes = {r: run_rule(con, registry, registry.rule(r)) for r in rules}
        score_recipients(con, seed=0)
        assemble_clues(con, registry, COUNTY)
        rows = con.execute(
            "select rule_id, subject_key, payment_count, amount::varchar as amount, period_start, period_end, "
            "evidence, region_code, name from clues").fetchall()
    skipped = {r: o.reason for r, o in outcomes.items() if o.status == "skipped"}
    clues = {(r[0], r[1]): dict(zip(("rule_id", "subject_key", "payment_count", "amount", "period_start",
                                     "period_end", "evidence", "region_code", "name"), r)) for r in rows}
    if skipped:
        clues[("skipped", "")] = skipped
    return clues


def clues_for_cases(tmp_path: Path, cases: dict[str, tuple], rules: tuple[str, ...]) -> dict[str, dict]:
    """{case name: {(rule_id, subject_key): clue}}: every case's exports in one county, loaded and run once.

    A case is (payments, recipients, references, expected). The cases' people must be distinct (their
    ID numbers and bank accounts are each one case's): a clue belongs to the case whose ID number,
    account or operator is its subject. Subjects two cases share are refused rather than guessed.
    """
    owners: dict[str, set[str]] = {}
    payments, recipients, references = [], [], {}
    for name, (case_payments, case_recipients, case_references, _) in cases.items():
        payments += case_payments
        recipients += case_recipients
        for table, rows in case_references.items():
            references.setdefault(table, []).extend(rows)
        for row in case_payments + case_recipients:
            for field in ("id_number", "bank_account", "operator_id"):
                if row.get(field):
                    owners.setdefault(row[field], set()).add(name)
            if len(row.get("id_number") or "") == 15:  # the loader keys a legacy number by its 18-digit form
                owners.setdefault(from_legacy15(row["id_number"]), set()).add(name)
    clues = clues_for(tmp_path, payments, recipients, rules, **references)
    by_case: dict[str, dict] = {name: {} for name in cases}
    for (rule_id, subject), clue in clues.items():
        if rule_id not in rules:
            continue
        owner = owners.get(subject, set())
        assert len(owner) == 1, f"{rule_id} clue on {subject} belongs to {sorted(owner) or 'no case'}"
        by_case[owner.pop()][(rule_id, subject)] = clue
    return by_case


def cases_in_one_county(cases: dict[str, Callable[[], tuple]], rules: tuple[str, ...]):
    """A module's `case_clues` fixture: {case name: its clues}, every case (made by `cases[name]()`) in one
    county, loaded once and each rule run once (clues_for_cases)."""

    @pytest.fixture(scope="module")
    def case_clues(tmp_path_factory) -> dict[str, dict]:
        return clues_for_cases(tmp_path_factory.mktemp("cases"), {name: make() for name, make in cases.items()}, rules)

    return case_clues
