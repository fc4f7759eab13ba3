"""Identity resolution: how ID numbers differ, and tip-offs matched to recipients (CLUES.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from fundwatch.db import connect
from fundwatch.idnumber import make_id
from fundwatch.ingest import discover
from fundwatch.load import load_inputs
from models.linkage import match_tipoffs
from tests.builders import Person, write_county

TRUE_ID = make_id("330102", dt.date(1950, 6, 15), 12, True)  # 330102195006150251

DIFFERENCES = [  # description, other number, kind, words
    ("the same number", TRUE_ID, "exact", "身份证号相同"),
    ("one digit typed wrong", TRUE_ID[:13] + "6" + TRUE_ID[14:], "one_digit", "身份证号第14位不同"),
    ("adjacent digits swapped", TRUE_ID[:8] + TRUE_ID[9] + TRUE_ID[8] + TRUE_ID[10:], "transposition",
     "身份证号第9、10位互换"),
    ("wrong check digit", TRUE_ID[:17] + "0", "check_digit", "校验位错误"),
    ("15 -> 18 without the check digit", TRUE_ID[:17], "check_digit", "缺少校验位（15位升18位错误）"),
    ("a twin: next order code", make_id("330102", dt.date(1950, 6, 15), 13, True), "one_digit_recheck",
     "身份证号第17位及校验位不同"),
    ("another person", make_id("330106", dt.date(1951, 1, 2), 40, False), "other", "身份证号不同"),
]


@pytest.mark.parametrize("description, other, kind, words", DIFFERENCES, ids=[d[0] for d in DIFFERENCES])
def test_id_difference(con, description, other, kind, words):
    assert con.execute("select fw_id_difference_kind(?, ?), fw_id_difference_text(?, ?)",
                       [TRUE_ID, other, TRUE_ID, other]).fetchone() == (kind, words)


PARTIAL_IDS = [  # the number a tip-off gives, whether it agrees with TRUE_ID (330102195006150251)
    ("330102********0251", True),
    ("330102********0252", False),
    ("３３０１０２＊＊＊＊＊＊＊＊０２５１", True),  # full-width digits and stars
    ("******************", True),
    (TRUE_ID, True),
    ("330102 *******0251", False),  # a space is no digit
    ("330102.*******0251", False),  # only * stands for an unknown digit
    ("3301021950061502", False),  # too short
    (None, False),
]


@pytest.mark.parametrize("given, agrees", PARTIAL_IDS)
def test_partial_id_agrees_on_every_place_it_shows(con, given, agrees):
    assert con.execute("select coalesce(fw_partial_id_agrees(?, ?), false)", [given, TRUE_ID]).fetchone()[0] is agrees


ZHANG = Person(1, name="张伟")
ZHANG_ELSEWHERE = Person(2, name="张伟", birth=dt.date(1948, 2, 3))  # same name, same county
LI = Person(3, name="李华")

TIPOFFS = [  # tip, expected matches {id_number: match_kind}
    ({"tip_id": "X1", "name": "张伟", "id_number": ZHANG.id_number, "place": ""}, {ZHANG.id_number: "身份证号"}),
    ({"tip_id": "X2", "name": "张伟", "id_number": ZHANG.id_number[:6] + "********" + ZHANG.id_number[-4:],
      "place": "上城区"}, {ZHANG.id_number: "身份信息"}),
    ({"tip_id": "X3", "name": "张伟", "id_number": ZHANG.id_number[:6] + "********" + ZHANG.id_number[-4:],
      "place": "西湖区"}, {}),  # the digits agree but the place is another county
    ({"tip_id": "X4", "name": "张伟", "id_number": "", "place": "上城区"}, {}),  # name and place alone
    ({"tip_id": "X5", "name": "李桦", "id_number": LI.id_number[:6] + "********" + LI.id_number[-4:],
      "place": "330102"}, {LI.id_number: "身份信息"}),  # 同音字: 华/桦
    ({"tip_id": "X6", "name": "张伟", "id_number": ZHANG.id_number[:6] + "********" + "9999", "place": "上城区"}, {}),
]


@pytest.fixture(scope="module")
def tip_matches(tmp_path_factory):
    root = tmp_path_factory.mktemp("tipoffs")
    people = [ZHANG, ZHANG_ELSEWHERE, LI] + [Person(k) for k in range(10, 60)]
    county = write_county(root / "in", [r for p in people for r in p.monthly("202301", "202303")],
                          [p.recipient() for p in people])
    with connect(root / "run.duckdb") as con:
        load_inputs(con, discover(county), root)
        return match_tipoffs(con, [tip for tip, _ in TIPOFFS])


@pytest.mark.parametrize("tip, expected", TIPOFFS, ids=[t["tip_id"] for t, _ in TIPOFFS])
def test_tipoff_matching(tip_matches, tip, expected):
    found = {m.id_number: m.match_kind for m in tip_matches if m.tip_id == tip["tip_id"]}
    assert found == expected
    for m in tip_matches:
        if m.tip_id == tip["tip_id"]:
            assert 0.5 <= m.probability <= 1 and "姓名" in m.agreeing_fields
