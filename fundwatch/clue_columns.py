"""The clue list's columns (CLUES.md's headers, in order) and its sort order: what the CSV writer
(fundwatch.emit), the masked copies (fundwatch.masking), the workbook and the report share."""

from __future__ import annotations

CLUE_COLUMNS = [
    ("线索编号", "clue_id"), ("规则编号", "rule_id"), ("线索类型", "clue_type"), ("风险等级", "severity"),
    ("行政区划代码", "region_code"), ("对象类型", "subject_type"), ("个人编号", "person_id"),
    ("公民身份号码", "id_number"), ("姓名", "name"), ("险种类型", "scheme"), ("起始所属期", "period_start"),
    ("截止所属期", "period_end"), ("涉及笔数", "payment_count"), ("涉及金额", "amount"), ("异常分值", "score"),
    ("疑点描述", "evidence"), ("政策依据", "policy_basis"), ("核查建议", "suggestion"),
    ("核查状态", "status"), ("核查结果", "finding"), ("整改情况", "rectification"),
]
TEXT_CLUE_COLUMNS = {"clue_id", "clue_type", "person_id", "id_number", "name", "scheme", "evidence",
                     "policy_basis", "suggestion", "region_code"}

SEVERITY_ORDER = "case severity when '高' then 0 when '中' then 1 else 2 end"
