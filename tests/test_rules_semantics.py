"""Rules on real semantics (CLUES.md, Amounts): net of reversals and payments not received, benefit
types by category, split resident pensions, survivor benefits, E06. One county holds every case,
each person a case of their own, and the real rules run once over it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from checks.registry import load_registry
from checks.rule_runner import assemble_clues, run_rule, write_catalogue
from fundwatch.db import connect
from fundwatch.ingest import discover
from fundwatch.load import load_inputs
from models.scoring import score_recipients
from tests.builders import COUNTY, PAYMENT_HEADERS, RECIPIENT_HEADERS, REFERENCE_HEADERS, Person, write_csv

HEADERS = {**PAYMENT_HEADERS, "pay_status": "发放状态"}
DIED = "2023-01-10"  # periods 202302 and later are after the death month


def monthly(p: Person, first: str, last: str, amount: str = "3000.00", benefit_type: str = "基本养老金", **extra):
    return [p.payment(x["period"], amount, benefit_type, **extra) for x in p.monthly(first, last)]


def death(p: Person) -> dict:
    return {"id_number": p.id_number, "name": p.name, "death_date": DIED, "source": "公安"}


CASES: dict[str, tuple] = {}  # name -> (person, payments, {rule: (count, amount)}, dies, public_employees record)


def case(name: str, person: Person, payments: list[dict], expected: dict | None = None, dies: bool = False,
         employed: dict | None = None) -> None:
    CASES[name] = (person, payments, expected or {}, dies, employed)


A = Person(1)
case("duplicate fully reversed is not P01", A, monthly(A, "202301", "202303") + [
    A.payment("202302", payment_id="A-EXTRA"), A.payment("202302", "-3000.00", payment_id="A-REVERSAL")])
B = Person(2)
case("duplicate returned by the bank is not P01", B, monthly(B, "202301", "202303") + [
    B.payment("202302", payment_id="B-EXTRA", pay_status="退回")])
C = Person(3)
case("duplicate partly reversed: P01 of the net beyond the first payment", C, monthly(C, "202301", "202303") + [
    C.payment("202302", payment_id="C-EXTRA"), C.payment("202302", "-1000.00", payment_id="C-REVERSAL")],
     {"P01": (3, "2000.00")})
D = Person(4)
case("every payment after death returned is not D01", D,
     monthly(D, "202301", "202301") + monthly(D, "202302", "202303", pay_status="退回"), dies=True)
E = Person(5)
case("D01 counts only what was received", E,
     monthly(E, "202301", "202302") + monthly(E, "202303", "202303", pay_status="退回"), {"D01": (1, "3000.00")},
     dies=True)
F = Person(6)
case("survivor benefits and death one-offs after death are not D01", F,
     monthly(F, "202301", "202301") + [F.payment("202302", "800.00", "供养亲属抚恤金"),
                                        F.payment("202302", "5000.00", "丧葬补助金"),
                                        F.payment("202302", "9000.00", "一次性抚恤金")], dies=True)
G = Person(7)
case("a post-death payment reversed is not D01", G,
     monthly(G, "202301", "202302") + [G.payment("202302", "-3000.00", payment_id="G-REVERSAL")], dies=True)
H, H_RESIDENT = Person(8), Person(8, scheme="170")
case("P02 refunds the 170 基础养老金 of a split resident pension", H,
     monthly(H, "202301", "202303") + monthly(H_RESIDENT, "202302", "202303", "150.00", "基础养老金")
     + monthly(H_RESIDENT, "202302", "202303", "50.00", "个人账户养老金"), {"P02": (6, "300.00")})
I = Person(9, scheme="170", birth=dt.date(1955, 1, 1), benefit_start="201501")
case("a split resident pension alone is no duplicate", I,
     monthly(I, "202301", "202303", "150.00", "基础养老金") + monthly(I, "202301", "202303", "50.00", "个人账户养老金"))
J = Person(10)
case("E06: an employee pension while in post", J, monthly(J, "202301", "202303"), {"E06": (3, "9000.00")},
     employed={"start_date": "2010-03-01", "end_date": ""})
K = Person(11)
case("E06: a record that ended before the pension is not E06", K, monthly(K, "202301", "202303"),
     employed={"start_date": "1990-03-01", "end_date": "2010-05-31"})
L = Person(12)
case("D01 covers an unmapped benefit type", L, monthly(L, "202301", "202302", "300.00", "高龄津贴"),
     {"D01": (1, "300.00")}, dies=True)


@pytest.fixture(scope="module")
def clues(tmp_path_factory) -> dict[tuple[str, str], tuple[int, str]]:
    root = tmp_path_factory.mktemp("semantics")
    county = root / "in" / COUNTY
    payments = [row for _, rows, *_ in CASES.values() for row in rows]
    people = {p.id_number: p for p, *_ in CASES.values()}
    recipients = [p.recipient() for p in people.values()] + [H_RESIDENT.recipient()]
    write_csv(county / "payments.csv", HEADERS, payments)
    write_csv(county / "recipients.csv", RECIPIENT_HEADERS, recipients)
    write_csv(root / "in" / "reference" / "deaths.csv", REFERENCE_HEADERS["deaths"],
              [death(p) for p, _, _, dies, _ in CASES.values() if dies])
    write_csv(root / "in" / "reference" / "public_employees.csv", REFERENCE_HEADERS["public_employees"],
              [{"id_number": p.id_number, "name": p.name, "unit_name": "某局", **employed}
               for p, _, _, _, employed in CASES.values() if employed])
    registry = load_registry()
    with connect(root / "run.duckdb") as con:
        load_inputs(con, discover(county), root)
        write_catalogue(con, registry)
        for rule in ("D01", "P01", "P02", "E06", "E02"):
            run_rule(con, registry, registry.rule(rule))
        score_recipients(con, seed=0)
        assemble_clues(con, registry, COUNTY)
        rows = con.execute("select rule_id, subject_key, payment_count, amount::varchar from clues").fetchall()
    return {(rule, subject): (count, amount) for rule, subject, count, amount in rows}


@pytest.mark.parametrize("name", list(CASES))
def test_case(clues, name):
    person, _, expected, *_ = CASES[name]
    found = {rule: value for (rule, subject), value in clues.items() if subject == person.id_number}
    assert found == expected


def test_no_clue_has_an_amount_of_zero_or_less(clues):
    assert clues and all(float(amount) > 0 for _, amount in clues.values())
