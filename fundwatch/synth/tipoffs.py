"""Tip-offs (信访举报线索) and their ground truth."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from fundwatch.synth.city import City
from fundwatch.synth.codes import COUNTY_NAMES
from fundwatch.synth.file_formats import write_xlsx


TIPOFF_FILE = "信访举报线索.xlsx"
TIPOFF_TRUTH_SCHEMA = {"tip_id": pl.String, "kind": pl.String, "case": pl.String, "region_code": pl.String,
                       "id_number": pl.String, "expected_match": pl.String, "expected_suggestion": pl.String,
                       "planted_rules": pl.String, "note": pl.String}
# One character of a given name typed as another with the same toneless pinyin (同音字).
HOMOPHONES = dict(pair for pair in (
    "华桦 伟玮 明鸣 军君 勇永 杰洁 涛滔 平萍 芳方 静晶 丽莉 敏闽 红虹 英瑛 兰岚 梅玫 霞夏 燕艳 建健 强墙 刚钢 林琳 斌彬 "
    "峰锋 宇雨 浩皓 凯恺 波博 宁凝 春椿 荣容 福富 宝保 金津 忠中 祥翔 新欣 生升 志智 成诚 民敏 卫为 东冬 兴星 松嵩 "
    "娜纳 秀绣 慧惠 玲铃 桂贵 婷亭 雪薛 琳林 晨辰 欣新 佳嘉 云芸 珍真 琴勤 美媚 翠萃 月悦 芬纷 彩采 莲连 洋阳 磊垒 "
    "鹏朋 飞菲 俊骏 国帼").split())
TIPOFF_CATEGORIES = {"D01": "冒领", "D02": "冒领", "P01": "重复领取", "P02": "重复领取", "P04": "重复领取"}


def _homophone(name: str) -> str | None:
    """The name with its last given-name character that has a 同音字 replaced, or None."""
    for i in range(len(name) - 1, 0, -1):
        if name[i] in HOMOPHONES:
            return name[:i] + HOMOPHONES[name[i]] + name[i + 1:]
    return None


def _partial_id(id18: str, form: int) -> str:
    """How a tip-off shows part of a number: address code and last four, or the birth year too."""
    return id18[:6] + "********" + id18[-4:] if form % 2 == 0 else id18[:10] + "****" + id18[-4:]


def _place(county: str, form: int) -> str:
    name = COUNTY_NAMES[county]
    return (name, county, name[:-1], name + "某街道")[form % 4]


def build_tipoffs(city: City) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tip-offs about planted persons (a clue must say so), clean persons (the data shows nothing) and
    people who cannot be matched (not a recipient, no number, digits that agree with nobody, another
    county, a number with another name), with full, partial and no ID numbers and 同音字 names; and
    their ground truth (tipoffs_truth.csv: kind, case, the person, the expected 匹配方式 and 建议).

    Matching is judged on a city run (every county's recipients): a county run sees the tip-offs
    about its own people only (the others are 未匹配 there)."""
    rng = np.random.default_rng([city.seed, 70])
    n = max(4, city.persons.filter(pl.col("recipient")).height // 500)
    people = city.persons.select("person", "name", "id18", "plain", "recipient")
    homes = city.recipients.select("person", "county", "id_text").unique(["person", "county"], keep="first")
    shown = homes.join(people, on="person").filter(pl.col("id_text") == pl.col("id18"))
    truth = city.ground_truth
    person_plants = truth.filter((pl.col("kind") == "plant") & (pl.col("scope") == "county")
                                 & pl.col("subject_key").str.contains(r"^[0-9]{17}[0-9X]$"))
    in_truth = set(truth["subject_key"].to_list())
    planted = (person_plants.group_by("region_code", "subject_key", maintain_order=True)
               .agg(pl.col("rule_id").unique().sort().str.join(";").alias("rules"))
               .join(shown.rename({"county": "region_code", "id18": "subject_key"}),
                     on=["region_code", "subject_key"])
               .filter(~pl.col("region_code").str.contains(";"))
               .sort("region_code", "subject_key"))
    planted = planted.unique("subject_key", keep="first", maintain_order=True)
    planted = planted[rng.permutation(planted.height)]
    clean = shown.filter(pl.col("plain") & ~pl.col("id18").is_in(list(in_truth))).sort("county", "person")
    namesakes = clean.filter(pl.len().over("county", "name") > 1)
    clean = pl.concat([namesakes[rng.permutation(namesakes.height)], clean[rng.permutation(clean.height)]]) \
        .unique("person", keep="first", maintain_order=True)
    strangers = (city.persons.filter(~pl.col("recipient")).join(
        pl.DataFrame({"home": city.counties}), on="home").sort("person"))
    strangers = strangers[rng.permutation(strangers.height)]
    counties = city.counties
    rows, truth_rows = [], []
    same_name = {}
    for county, name, id_text in city.recipients.select("county", "name", "id_text").unique().iter_rows():
        same_name.setdefault((county, name), set()).add(id_text)

    def partial_for(county: str, name: str, id18: str, form: int) -> tuple[str, bool]:
        """A partial number for the person, showing digits no namesake in the county shares if it can;
        and whether a namesake still fits it (then the tip-off cannot be matched: ambiguous)."""
        others = same_name.get((county, name), set()) - {id18}
        for shown in (_partial_id(id18, form), _partial_id(id18, form + 1)):
            pattern = re.compile(shown.replace("*", "."))
            if not any(pattern.fullmatch(other) for other in others):
                return shown, False
        return shown, True

    def add(kind: str, case: str, county: str, id18: str | None, name: str, given: str | None, place: str | None,
            match: str, suggestion: str, rules: str = "", note: str = "") -> None:
        tip_id = f"XF{city.seed % 100:02d}{len(rows) + 1:04d}"
        received = date.fromordinal(date(2024, 1, 2).toordinal() + int(rng.integers(0, 300)))
        category = TIPOFF_CATEGORIES.get(rules.split(";")[0], "其他") if rules else ("冒领", "其他", "违规领取")[len(rows) % 3]
        rows.append({"信访编号": tip_id, "收到日期": received, "被反映人姓名": name, "被反映人身份证号": given or "",
                     "所在地": place or "", "反映类型": category,
                     "反映内容": f"群众反映{name}{'存在' + category + '问题' if category != '其他' else '领取待遇情况异常'}"})
        truth_rows.append({"tip_id": tip_id, "kind": kind, "case": case, "region_code": county,
                           "id_number": id18,
                           "expected_match": match, "expected_suggestion": suggestion, "planted_rules": rules,
                           "note": note})

    for i, row in enumerate(planted.head(2 * n).iter_rows(named=True)):
        county, id18, name = row["region_code"], row["subject_key"], row["name"]
        if i % 2 == 0:
            add("planted", "full_id", county, id18, name, id18, None if i % 4 else _place(county, i), "身份证号",
                "数据印证", row["rules"], "the full number and the name as recorded")
        else:
            typed = _homophone(name) if i % 3 == 1 else None
            shown, ambiguous = partial_for(county, name, id18, i)
            add("planted", "ambiguous" if ambiguous else "homophone_partial_id" if typed else "partial_id", county,
                id18, typed or name, shown, _place(county, i), "未匹配" if ambiguous else "身份信息",
                "无法匹配，需人工核实" if ambiguous else "数据印证", row["rules"],
                "the digits a partial number shows, the county" + (", the name typed with a 同音字" if typed else "")
                + ("; a namesake in the county shares the digits shown" if ambiguous else ""))
    clean_rows = list(clean.head(4 * n).iter_rows(named=True))
    for i, row in enumerate(clean_rows[: 3 * n]):
        county, id18, name = row["county"], row["id18"], row["name"]
        if i % 3 == 0:
            add("clean", "full_id", county, id18, name, id18, _place(county, i), "身份证号", "数据未见异常",
                note="a recipient the data has nothing against")
        else:
            typed = _homophone(name) if i % 3 == 2 else None
            shown, ambiguous = partial_for(county, name, id18, i)
            add("clean", "ambiguous" if ambiguous else "homophone_partial_id" if typed else "partial_id", county,
                id18, typed or name, shown, _place(county, i), "未匹配" if ambiguous else "身份信息",
                "无法匹配，需人工核实" if ambiguous else "数据未见异常",
                note="a partial number" + ("; namesakes in the county" if
                                           namesakes.filter(pl.col("person") == row["person"]).height else "")
                + ("; one shares the digits shown" if ambiguous else ""))
    unmatched = "无法匹配，需人工核实"
    for i, row in enumerate(strangers.head(n).iter_rows(named=True)):
        add("unmatched", "not_a_recipient", row["home"], None, row["name"],
            _partial_id(row["id18"], i) if i % 2 == 0 else row["id18"], _place(row["home"], i), "未匹配", unmatched,
            note="a person on no recipient list")
    extra = clean_rows[3 * n:]
    for i, row in enumerate(extra):
        county, id18, name = row["county"], row["id18"], row["name"]
        case = ("no_id", "wrong_digits", "other_county", "name_differs")[i % 4]
        if case == "no_id":
            add("unmatched", case, county, id18, name, None, _place(county, i), "未匹配", unmatched,
                note="a name and a place alone never link")
        elif case == "wrong_digits":
            last4 = f"{(int(id18[-4:-1]) + 500) % 1000:03d}" + id18[-1]
            add("unmatched", case, county, id18, name, id18[:6] + "********" + last4, _place(county, i), "未匹配",
                unmatched, note="the digits shown agree with nobody of that name")
        elif case == "other_county" and len(counties) > 1:
            other = counties[(counties.index(county) + 1) % len(counties)]
            add("unmatched", case, county, id18, name, _partial_id(id18, i), _place(other, i), "未匹配", unmatched,
                note=f"the person is paid in {county}; the tip-off places them in {other}")
        elif case == "name_differs":
            other_name = ("钱" if name[0] != "钱" else "孔") + "某某"
            add("unmatched", case, county, id18, other_name, id18, _place(county, i), "未匹配", unmatched,
                note="a full number whose recipient has another name")
    tipoffs = pl.DataFrame(rows, schema={"信访编号": pl.String, "收到日期": pl.Date, "被反映人姓名": pl.String,
                                         "被反映人身份证号": pl.String, "所在地": pl.String, "反映类型": pl.String,
                                         "反映内容": pl.String}, orient="row")
    order = rng.permutation(tipoffs.height)
    return tipoffs[order], pl.DataFrame(truth_rows, schema=TIPOFF_TRUTH_SCHEMA, orient="row")


def write_tipoffs(city: City, out_dir: Path) -> dict[str, int]:
    """reference/信访举报线索.xlsx and tipoffs_truth.csv at the root."""
    tipoffs, truth = build_tipoffs(city)
    write_xlsx(Path(out_dir) / "reference" / TIPOFF_FILE, "信访举报线索", tipoffs, {"收到日期"})
    truth.sort("tip_id").write_csv(Path(out_dir) / "tipoffs_truth.csv")
    return {f"reference/{TIPOFF_FILE}": tipoffs.height}
