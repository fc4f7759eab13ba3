"""Review material of identity resolution: matches.csv and identity_charts.html beside the clue list.

- ``matches.csv`` (and ``matches_masked.csv`` with --mask): every pair identity resolution kept
  (match probability at or above the review threshold of models/identity.toml), its probability
  and weight, the agreeing fields, how the ID numbers differ, and the clue it became, if any;
- ``identity_charts.html``: for every D02 and P04 clue, splink's match-weight waterfall (how each
  comparison moved the weight), self-contained (splink's bundled vega JavaScript inline, no
  network). The charts hold match weights only: no names, no numbers.
"""

from __future__ import annotations

import csv
import html
import json
import os
from pathlib import Path

import duckdb

from fundwatch.db import table_exists
from fundwatch.emit import BOM, PRIVATE_FILE_MODE, spreadsheet_safe
from fundwatch.masking import mask_id, mask_name

PURPOSE_TITLES = {"deaths": "死亡人员信息→领取人员（D02）", "recipients": "领取人员→领取人员（P04）",
                  "tipoffs": "信访举报→领取人员"}
HEADERS = ["用途", "左侧记录身份证号", "左侧姓名", "右侧身份证号", "右侧姓名", "匹配概率", "匹配权重", "一致字段",
           "身份证号差异", "生成阻断规则", "相关线索编号"]

LINKS_WITH_CLUES_SQL = """
with clue_subjects as (
    select rule_id, subject_key, clue_id from clues where rule_id in ('D02', 'P04')
)
select l.purpose, l.left_id_number, l.left_name, l.right_id_number, l.right_name, l.match_probability,
       l.match_weight, l.agreeing_fields, l.id_difference, l.match_key,
       (select string_agg(c.clue_id, ';' order by c.clue_id) from clue_subjects as c
        where (l.purpose = 'deaths' and c.rule_id = 'D02' and c.subject_key = l.right_id_number)
           or (l.purpose = 'recipients' and c.rule_id = 'P04'
               and c.subject_key in (l.left_id_number, l.right_id_number))) as clue_ids,
       l.waterfall
from identity_links as l
order by l.purpose, l.match_probability desc, l.left_key, l.right_key
"""


def link_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    if not table_exists(con, "identity_links") or not table_exists(con, "clues"):
        return []
    return con.execute(LINKS_WITH_CLUES_SQL).fetchall()


def write_identity_outputs(con: duckdb.DuckDBPyConnection, out_dir: Path, mask: bool = False) -> dict[str, int]:
    """matches.csv (matches_masked.csv too when masking) and identity_charts.html; counts written."""
    rows = link_rows(con)
    if not table_exists(con, "identity_links"):
        return {}
    counts = {"matches.csv": _write_matches(out_dir / "matches.csv", rows, masked=False)}
    if mask:
        counts["matches_masked.csv"] = _write_matches(out_dir / "matches_masked.csv", rows, masked=True)
    counts["identity_charts.html"] = write_charts(out_dir / "identity_charts.html", rows)
    return counts


def _write_matches(target: Path, rows: list[tuple], masked: bool) -> int:
    with open(target, "w", encoding="utf-8", newline="") as fh:
        fh.write(BOM.decode("utf-8"))
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for (purpose, left_id, left_name, right_id, right_name, probability, weight, agreeing, difference,
             match_key, clue_ids, _) in rows:
            if masked:
                left_id, right_id = mask_id(left_id), mask_id(right_id)
                left_name, right_name = mask_name(left_name), mask_name(right_name)
            writer.writerow([spreadsheet_safe(v) for v in (
                PURPOSE_TITLES.get(purpose, purpose), left_id, left_name, right_id, right_name, f"{probability:.4f}",
                f"{weight:.2f}", agreeing, difference, match_key, clue_ids or "")])
    os.chmod(target, PRIVATE_FILE_MODE)
    return len(rows)


def write_charts(target: Path, rows: list[tuple]) -> int:
    """One waterfall per clue (the pair behind it with the highest probability); returns the charts written."""
    from splink.internals.html_utils import load_chart_libraries

    charts, seen = [], set()
    for (purpose, *_rest, clue_ids, waterfall) in rows:
        probability, agreeing, difference = _rest[4], _rest[6], _rest[7]
        for clue_id in (clue_ids or "").split(";"):
            if clue_id and clue_id not in seen and waterfall:
                seen.add(clue_id)
                charts.append((clue_id, purpose, probability, agreeing, difference, waterfall))
    libraries = load_chart_libraries()
    parts = ["<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>身份识别匹配权重</title>",
             "<style>body{font-family:sans-serif;margin:2em}h2{font-size:1.1em;margin-top:2em}"
             "p{color:#555}</style>",
             *(f"<script>{libraries[name]}</script>" for name in ("vega", "vega-lite", "vega-embed")),
             "</head><body><h1>身份识别：每条线索的匹配权重（瀑布图）</h1>",
             "<p>每张图从先验权重开始，逐项加上各比较字段的权重（正值支持同一人，负值反对），最终得到匹配权重与匹配概率。"
             "图中不含姓名、身份证号等个人信息。由 splink 生成，离线可看。</p>"]
    if not charts:
        parts.append("<p>本次运行没有身份识别线索（D02、P04）。</p>")
    for index, (clue_id, purpose, probability, agreeing, difference, waterfall) in enumerate(sorted(charts)):
        spec = json.loads(waterfall)
        parts.append(f"<h2>{html.escape(clue_id)} · {html.escape(PURPOSE_TITLES.get(purpose, purpose))}</h2>"
                     f"<p>匹配概率 {probability:.4f}；一致：{html.escape(agreeing or '')}；{html.escape(difference or '')}</p>"
                     f"<div id='chart{index}'></div>"
                     f"<script>vegaEmbed('#chart{index}', {json.dumps(spec, ensure_ascii=False)}, "
                     "{actions: false});</script>")
    parts.append("</body></html>")
    target.write_text("".join(parts), encoding="utf-8")
    return len(charts)
