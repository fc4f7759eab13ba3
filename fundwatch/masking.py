"""Masking personal data for copies that circulate more widely, and the clue rows they are made of.

ID numbers keep their first 6 and last 4 characters, names their surname, accounts and person ids
their last 4 characters; the same values are masked inside evidence sentences.
"""

from __future__ import annotations

import re

import duckdb

from fundwatch.clue_columns import CLUE_COLUMNS, SEVERITY_ORDER

_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_LONG_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{12,}(?![0-9A-Za-z])")


def mask_id(value: str | None) -> str | None:
    """330102199001011234 -> 330102********1234 (any length: first 6 and last 4 kept when long enough)."""
    if value is None:
        return None
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """张三丰 -> 张**: the surname (first character) is kept."""
    if value is None:
        return None
    if len(value) <= 1:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 1)


def mask_tail(value: str | None, keep: int = 4) -> str | None:
    """6222000012345678 -> ************5678: accounts and person ids keep their last 4 characters."""
    if value is None:
        return None
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


def mask_text(text: str | None, *, ids=(), names=(), accounts=(), person_ids=()) -> str | None:
    """Mask the given ID numbers, names, accounts and person ids inside a sentence, then any
    remaining 15/18-character ID-number-looking substring and any other long digit run."""
    if not text:
        return text
    replacements: dict[str, str] = {}
    for value in ids:
        if value and len(value) >= 6:
            replacements[value] = mask_id(value)
    for value in accounts:
        if value and len(value) >= 6:
            replacements.setdefault(value, mask_tail(value))
    for value in person_ids:
        if value and len(value) >= 6:
            replacements.setdefault(value, mask_tail(value))
    for value in names:
        if value and len(value) >= 2:
            replacements.setdefault(value, mask_name(value))
    for value in sorted(replacements, key=len, reverse=True):
        text = text.replace(value, replacements[value])
    text = _ID_LIKE.sub(lambda m: mask_id(m.group(0)), text)
    return _LONG_DIGITS.sub(lambda m: mask_tail(m.group(0)), text)


def clue_rows(con: duckdb.DuckDBPyConnection, *, for_masking: bool = True) -> list[dict]:
    """Every clue as a dict, sorted like clues.csv; `for_masking`: with the people behind it, whose
    names, numbers and accounts masked_clue masks (their evidence joined to the payments, ~2 s at 10M)."""
    columns = [c for _, c in CLUE_COLUMNS] + ["recovered_amount", "change"]
    selected = ", ".join("c." + c for c in columns)
    order = f"order by {SEVERITY_ORDER.replace('severity', 'c.severity')}, c.amount desc, c.clue_id"
    if not for_masking:
        return [dict(zip(columns, row)) for row in con.execute(f"select {selected} from clues c {order}").fetchall()]
    people = (
        "select e.clue_id, list(distinct p.id_number) as ids, list(distinct p.name) as names, "
        "list(distinct p.bank_account) as accounts, list(distinct p.person_id) as person_ids "
        "from clue_evidence e join payments p on p.row_key = e.row_key group by e.clue_id"
    )
    staff = _staff_people_sql(con)
    if staff:
        people = (f"select clue_id, list_concat(p.ids, s.ids) as ids, list_concat(p.names, s.names) as names, "
                  f"list_concat(p.accounts, s.accounts) as accounts, p.person_ids "
                  f"from ({people}) p full join ({staff}) s using (clue_id)")
    query = (f"select {selected}, x.ids, x.names, x.accounts, x.person_ids "
             f"from clues c left join ({people}) x using (clue_id) {order}")
    names = columns + ["_ids", "_names", "_accounts", "_person_ids"]
    return [dict(zip(names, row)) for row in con.execute(query).fetchall()]


def _staff_people_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SQL of (clue_id, ids, names, accounts) for clues about a staff member (经办人): the staff
    member's own ID number, name and accounts (经办人员信息), and the people and accounts of the
    operations they did (经办操作日志), which S-rule evidence names. "" when the run has neither."""
    from fundwatch.db import table_exists

    parts = []
    if table_exists(con, "staff"):
        parts.append("select operator_id, id_number, name, bank_account as account from staff")
    if table_exists(con, "operations"):
        parts.append("select o.operator_id, o.id_number, r.name, fw_parse_account(o.new_value) as account "
                     "from operations o left join (select id_number, min(name) as name from recipients group by 1) r "
                     "using (id_number)")
        parts.append("select operator_id, null, null, fw_parse_account(old_value) from operations")
    if not parts:
        return ""
    return ("select c.clue_id, list(distinct x.id_number) filter (x.id_number is not null) as ids, "
            "list(distinct x.name) filter (x.name is not null) as names, "
            "list(distinct x.account) filter (x.account is not null) as accounts "
            f"from clues c join ({' union all '.join(parts)}) x on x.operator_id = c.subject_key "
            "where c.subject_type = '经办人' group by c.clue_id")


def masked_clue(clue: dict) -> dict:
    out = dict(clue)
    ids = [clue.get("id_number"), *(clue.get("_ids") or [])]
    names = [clue.get("name") if clue.get("subject_type") == "人员" else None, *(clue.get("_names") or [])]
    accounts = [clue.get("name") if clue.get("subject_type") == "账户" else None, *(clue.get("_accounts") or [])]
    person_ids = [clue.get("person_id"), *(clue.get("_person_ids") or [])]
    out["id_number"] = mask_id(clue.get("id_number"))
    out["person_id"] = mask_tail(clue.get("person_id"))
    if clue.get("subject_type") == "人员":
        out["name"] = mask_name(clue.get("name"))
    elif clue.get("subject_type") == "账户":
        out["name"] = mask_tail(clue.get("name"))
    out["evidence"] = mask_text(clue.get("evidence"), ids=[i for i in ids if i], names=[n for n in names if n],
                                accounts=[a for a in accounts if a], person_ids=[p for p in person_ids if p])
    return out
