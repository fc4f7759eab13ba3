"""The isolation forest: payment-pattern features only, deterministic scores, explanations, M01."""

import numpy as np
import pytest

from checks.registry import load_registry
from checks.rule_runner import assemble_clues, refresh_hits_view, run_rule, write_catalogue
from fundwatch.db import connect
from fundwatch.ingest import discover
from fundwatch.load import load_inputs
from models.features import FEATURES
from models.scoring import score_recipients
from tests.builders import Person, write_county

PEOPLE = [Person(i, male=i % 2 == 0) for i in range(1, 301)]
JUMPER = PEOPLE[7]


def exports():
    payments = [x for p in PEOPLE for x in p.monthly("202301", "202312", f"{2000 + 10 * p.key}.00")]
    payments = [dict(x, amount="25000.00") if x["id_number"] == JUMPER.id_number and x["period"] in ("202306", "202307")
                else x for x in payments]
    widow = PEOPLE[20]
    payments.append(widow.payment("202312", "90000.00", "丧葬补助金"))  # large, but a legitimate one-off
    return payments, [p.recipient() for p in PEOPLE]


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    root = tmp_path_factory.mktemp("scoring")
    payments, recipients = exports()
    county = write_county(root / "in", payments, recipients)
    con = connect(root / "run.duckdb")
    load_inputs(con, discover(county), root)
    summary = score_recipients(con, seed=0)
    yield con, summary
    con.close()


def test_features_describe_payments_not_people(scored):
    con, summary = scored
    columns = {r[0] for r in con.execute("describe features").fetchall()}
    assert columns == {"id_number", "person_id", "region_code", *(f.name for f in FEATURES)}
    assert not {"gender", "birth_date", "age", "name"} & columns
    assert summary["recipients_scored"] == len(PEOPLE)


def test_scores_are_anomaly_scores_between_0_and_1(scored):
    con, _ = scored
    scores = np.array([r[0] for r in con.execute("select score from scores").fetchall()])
    assert ((scores > 0) & (scores <= 1)).all()


def test_the_planted_jump_is_the_top_outlier_and_explained(scored):
    con, _ = scored
    top_id, top_features = con.execute("select id_number, top_features from scores order by score desc limit 1").fetchone()
    assert top_id == JUMPER.id_number
    assert "单笔最高金额偏高（25,000.00元" in top_features or "单月最高与中位金额之比偏高" in top_features


def test_a_funeral_grant_does_not_make_an_outlier(scored):
    con, _ = scored
    rank = con.execute("select count(*) from scores where score >= (select score from scores where id_number = ?)",
                       [PEOPLE[20].id_number]).fetchone()[0]
    assert rank > 3


def test_same_seed_same_scores(tmp_path, scored):
    con, _ = scored
    first = con.execute("select id_number, score, top_features from scores order by id_number").fetchall()
    score_recipients(con, seed=0)
    assert con.execute("select id_number, score, top_features from scores order by id_number").fetchall() == first


def test_m01_flags_at_most_the_top_share_and_leaves_explained_people_out(scored):
    con, _ = scored
    registry = load_registry()
    write_catalogue(con, registry)
    refresh_hits_view(con, registry)
    outcome = run_rule(con, registry, registry.rule("M01"))
    assert 1 <= outcome.clues <= len(PEOPLE) * 0.01
    flagged = {r[0] for r in con.execute("select distinct subject_key from hits_m01").fetchall()}
    assert JUMPER.id_number in flagged
    con.execute("create or replace table hits_p01 as select ? as subject_key, null::bigint as payment_key, "
                "true as improper, 'x' as evidence", [JUMPER.id_number])
    refresh_hits_view(con, registry)
    run_rule(con, registry, registry.rule("M01"))
    assert JUMPER.id_number not in {r[0] for r in con.execute("select subject_key from hits_m01").fetchall()}
    assemble_clues(con, registry, "330102")
    con.execute("drop table hits_p01")


def test_explanations_name_the_strongest_features_above_the_minimum_in_order():
    from models.forest import MIN_CONTRIBUTION, explain_all

    features = len(FEATURES)
    medians = np.array([12.0, 2000.0, 2000.0] + [1.0] * (features - 3))
    values = np.tile(medians, (4, 1))
    contributions = np.zeros((4, features))
    values[1, 2], contributions[1, 2] = 25000.0, 0.2  # one feature
    values[2, 0], contributions[2, 0] = 3.0, 0.05  # two, the stronger named first
    values[2, 1], contributions[2, 1] = 2500.5, 0.1
    values[3, 0], contributions[3, 0] = 2.0, MIN_CONTRIBUTION / 2  # too weak to name
    texts = explain_all(values, contributions, medians)
    assert texts[0] == texts[3] == "无明显异常特征"
    assert texts[1] == "单笔最高金额偏高（25,000.00元，中位数2,000.00元）"
    assert texts[2] == "月均发放金额偏高（2,500.50元，中位数2,000.00元）；发放月数偏低（3个月，中位数12个月）"
    assert explain_all(np.empty((0, features)), np.empty((0, features)), medians) == []
