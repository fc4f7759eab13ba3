"""One feedback row's values typed and checked: lists, amounts, dates, 回避, recovery, 销号."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from fundwatch.history.feedback_file import FeedbackRow
from fundwatch.workbook import DISPOSAL_CHOICES, STATUS_CHOICES


VERIFIED = ("属实", "部分属实", "不属实")


# 核查人 may name several people: 张三、李四 / 张三,李四 / 张三;李四 / 张三 李四
PEOPLE_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def _amount(value: str) -> Decimal | None:
    if not value:
        return None
    amount = Decimal(value.replace(",", "").replace("¥", "").replace("元", ""))
    if amount < 0 or not amount.is_finite():
        raise InvalidOperation
    return amount.quantize(Decimal("0.01"))


def _date(value: str) -> dt.date | None:
    """2024-07-31, 2024/7/31, 20240731 or an Excel date cell (read as 2024-07-31)."""
    if not value:
        return None
    text = value.strip()
    for pattern in (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})", r"(\d{4})(\d{2})(\d{2})",
                    r"(\d{4})年(\d{1,2})月(\d{1,2})日"):
        found = re.fullmatch(pattern, text)
        if found:
            return dt.date(*(int(g) for g in found.groups()))
    raise ValueError(text)


@dataclass
class ParsedFeedback:
    status: str
    finding: str | None
    rectification: str | None
    recovered: Decimal | None
    verifier: str | None
    deadline: dt.date | None
    disposal: str | None
    amount_due: Decimal | None
    amount_recovered: Decimal | None
    signed_off_by: str | None
    signed_off_on: dt.date | None

    def values(self) -> tuple:
        return (self.status, self.finding, self.rectification, self.recovered, self.verifier, self.deadline,
                self.disposal, self.amount_due, self.amount_recovered, self.signed_off_by, self.signed_off_on)


STORED_COLUMNS = ("status", "finding", "rectification", "recovered_amount", "verifier", "deadline", "disposal",
                  "amount_due", "amount_recovered", "signed_off_by", "signed_off_on")


def parse_row(r: FeedbackRow) -> tuple[ParsedFeedback, list[str]]:
    """The row's values typed (None where a value cannot be read), and what is wrong with them."""
    problems = []
    if r.status not in STATUS_CHOICES:
        shown = f"「{r.status}」" if r.status else "为空"
        problems.append(f"核查状态{shown}不是可选值（{'/'.join(STATUS_CHOICES)}）")
    amounts = {}
    for label, value in (("追回金额", r.recovered), ("应追回金额", r.amount_due), ("已追回金额", r.amount_recovered)):
        try:
            amounts[label] = _amount(value)
        except (InvalidOperation, ValueError):
            amounts[label] = None
            problems.append(f"{label}「{value}」不是非负数字")
    dates = {}
    for label, value in (("核查期限", r.deadline), ("销号日期", r.signed_off_on)):
        try:
            dates[label] = _date(value)
        except ValueError:
            dates[label] = None
            problems.append(f"{label}「{value}」不是日期（如2024-07-31）")
    if r.disposal and r.disposal not in DISPOSAL_CHOICES:
        problems.append(f"处理方式「{r.disposal}」不是可选值（{'/'.join(DISPOSAL_CHOICES)}）")
    return ParsedFeedback(r.status, r.finding or None, r.rectification or None, amounts["追回金额"], r.verifier or None,
                          dates["核查期限"], r.disposal or None, amounts["应追回金额"], amounts["已追回金额"],
                          r.signed_off_by or None, dates["销号日期"]), problems


def workflow_problems(r: FeedbackRow, p: ParsedFeedback, staff: set[str], verdict_since: dt.date | None,
                      verdict_known: bool) -> list[str]:
    """回避, 已追回 > 应追回, a 销号 without a verdict or before it (CLUES.md)."""
    problems = []
    if p.verifier:
        conflicted = [v for v in PEOPLE_SEPARATORS.split(p.verifier) if v and v.upper() in staff]
        if conflicted:
            problems.append(f"核查人「{'、'.join(conflicted)}」经办或审核了该线索所涉发放（或为该线索所指经办人员），应回避")
    recovered = p.amount_recovered if p.amount_recovered is not None else p.recovered
    if p.amount_due is not None and recovered is not None and recovered > p.amount_due:
        problems.append(f"已追回金额{recovered}大于应追回金额{p.amount_due}")
    if r.signed_off_by or r.signed_off_on:
        if p.status not in VERIFIED:
            problems.append(f"未有核查结论（属实/部分属实/不属实）不能销号，核查状态为「{p.status}」")
        elif not (r.signed_off_by and r.signed_off_on):
            problems.append("销号须同时填写销号人和销号日期")
        elif verdict_since and p.signed_off_on and p.signed_off_on < verdict_since:
            since = (f"该结论于{verdict_since.isoformat()}录入" if verdict_known
                     else f"该线索{verdict_since.isoformat()}才提出")
            problems.append(f"销号日期{p.signed_off_on.isoformat()}早于核查结论（{since}）")
    return problems


def verdict_since(versions: list[tuple], status: str) -> tuple[dt.date | None, bool]:
    """When the history first stored the clue's current verdict (the latest versions with this status)."""
    since = None
    for version_status, recorded_at in reversed(versions):
        if version_status != status:
            break
        since = dt.date.fromisoformat(recorded_at[:10])
    return since, since is not None
