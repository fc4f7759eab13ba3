"""Canonical values as the exports print them: periods, dates, money, schemes, gender, headers."""

from __future__ import annotations

import polars as pl

from fundwatch.synth.codes import BACK_PAY, PENSION, SCHEME_NAMES, SUCCEEDED
from fundwatch.synth.identities import BANKS
from fundwatch.synth.layouts import PAYMENT_COLUMNS, RECIPIENT_COLUMNS, Layout


def period_text(month: pl.Expr, style: str) -> pl.Expr:
    year, mm = (month // 12).cast(pl.String), (month % 12 + 1).cast(pl.String).str.zfill(2)
    return {"plain": pl.concat_str([year, mm]), "dash": pl.concat_str([year, pl.lit("-"), mm]),
            "cn": pl.concat_str([year, pl.lit("年"), mm, pl.lit("月")])}[style]


def date_text(day: pl.Expr, style: str) -> pl.Expr:
    return day.dt.strftime({"iso": "%Y-%m-%d", "slash": "%Y/%-m/%-d", "compact": "%Y%m%d"}[style])


HALF_DIGITS, FULL_DIGITS = list("0123456789"), list("０１２３４５６７８９")


def _amount_text(fen: pl.Expr, style: str) -> pl.Expr:
    """Money as exports print it; every style is valid money of the same value (INPUT.md)."""
    size = fen.abs()
    yuan, cents = (size // 100), (size % 100).cast(pl.String).str.zfill(2)
    fixed = pl.concat_str([yuan.cast(pl.String), pl.lit("."), cents])

    def grouped(separator: str) -> pl.Expr:
        return pl.when(yuan >= 1000).then(pl.concat_str([
            (yuan // 1000).cast(pl.String), pl.lit(separator), (yuan % 1000).cast(pl.String).str.zfill(3)])
        ).otherwise(yuan.cast(pl.String))

    def trimmed(text: pl.Expr) -> pl.Expr:
        return text.str.strip_chars_end("0").str.strip_chars_end(".")

    text = {
        "plain": fixed,
        "trimmed": trimmed(fixed),
        "grouped": pl.concat_str([grouped(","), pl.lit("."), cents]),
        "yen": pl.concat_str([pl.lit("¥"), fixed]),
        "fullwidth_yen": pl.concat_str([pl.lit("￥"), fixed]),
        "yuan": pl.concat_str([fixed, pl.lit("元")]),
        "fullwidth": fixed.str.replace_many(HALF_DIGITS, FULL_DIGITS),
        "yen_grouped_yuan": pl.concat_str([pl.lit("￥"), trimmed(pl.concat_str([grouped(","), pl.lit("."), cents])),
                                           pl.lit("元")]),
        "fullwidth_comma": pl.concat_str([grouped("，"), pl.lit("."), cents]),
    }[style]
    return pl.when(fen < 0).then(pl.concat_str([pl.lit("-"), text])).otherwise(text)


def mixed(choice: pl.Expr, options: list[pl.Expr]) -> pl.Expr:
    expression = options[-1]
    for index in range(len(options) - 2, -1, -1):
        expression = pl.when(choice == index).then(options[index]).otherwise(expression)
    return expression


def render_payments(rows: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    style = pl.col("style")
    if layout.date_style == "mixed":
        pay_date = mixed(style % 3, [date_text(pl.col("pay_date"), s) for s in ("iso", "slash", "compact")])
    else:
        pay_date = date_text(pl.col("pay_date"), layout.date_style)
    if layout.period_style == "mixed":
        period = mixed(style // 3, [period_text(pl.col("period"), s) for s in ("plain", "dash", "cn")])
    else:
        period = period_text(pl.col("period"), layout.period_style)
    amount = mixed((style + pl.col("period")) % len(layout.amount_styles),
                   [_amount_text(pl.col("amount_fen"), s) for s in layout.amount_styles])
    scheme = pl.col("scheme")
    if layout.scheme_style == "mixed":
        scheme = pl.when(pl.col("scheme_by_name")).then(
            scheme.replace_strict(SCHEME_NAMES, return_dtype=pl.String)).otherwise(scheme)
    benefit_type = pl.col("benefit_type")
    if layout.pension_label != PENSION:
        benefit_type = pl.when(benefit_type == PENSION).then(pl.lit(layout.pension_label)).otherwise(benefit_type)
    rendered = {
        "payment_id": pl.col("payment_id"), "person_id": pl.col("person_id"), "id_number": pl.col("id_text"),
        "name": pl.col("name"), "scheme": scheme, "benefit_type": benefit_type, "period": period,
        "pay_date": pay_date, "amount": amount, "bank_account": pl.col("account"), "region_code": pl.col("county"),
        "operator_id": pl.col("operator_id"), "reviewer_id": pl.col("reviewer_id"),
    }
    columns = []
    for canonical, header in zip(PAYMENT_COLUMNS, layout.payment_headers):
        value = rendered[canonical]
        value = pl.when(pl.col("bad_column") == canonical).then(pl.col("bad_value")).otherwise(value)
        columns.append(value.alias(header))
    if layout.status_header:
        shown = {"empty": pl.lit(None, pl.String), "success": pl.lit(SUCCEEDED),
                 "mixed": pl.when(style % 2 == 0).then(pl.lit(SUCCEEDED)).otherwise(pl.lit(None, pl.String))}
        columns.append(pl.coalesce(pl.col("pay_status"), shown[layout.status_style]).alias(layout.status_header))
    elif rows["pay_status"].is_not_null().any():
        raise ValueError(f"{layout.key}: a payment 失败 or 退回 in an export without 发放状态")
    if layout.extra_payment_column == "开户银行":
        bank = pl.lit("")
        for prefix, _, bank_name in BANKS:
            bank = pl.when(pl.col("account").str.starts_with(prefix)).then(pl.lit(bank_name)).otherwise(bank)
        columns.append(bank.alias("开户银行"))
    elif layout.extra_payment_column:
        columns.append(pl.when(pl.col("benefit_type") == BACK_PAY).then(pl.lit("调整补发"))
                       .otherwise(pl.lit("")).alias(layout.extra_payment_column))
    return rows.select(columns)


def render_recipients(rows: pl.DataFrame, layout: Layout) -> pl.DataFrame:
    gender = (pl.when(pl.col("male")).then(pl.lit("男" if layout.gender_style == "zh" else "1"))
              .otherwise(pl.lit("女" if layout.gender_style == "zh" else "2")))
    date_style = "iso" if layout.date_style == "mixed" else layout.date_style
    rendered = {
        "person_id": pl.col("person_id"), "id_number": pl.col("id_text"), "name": pl.col("name"), "gender": gender,
        "birth_date": date_text(pl.col("birth_date"), date_style), "scheme": pl.col("scheme"),
        "personnel_type": pl.col("personnel_type"), "unit_type": pl.col("unit_type"),
        "retirement_type": pl.col("retirement_type"), "benefit_start": period_text(pl.col("benefit_start"), "plain"),
        "status": pl.col("status"), "contribution_months": pl.col("contribution_months").cast(pl.String),
        "region_code": pl.col("county"),
    }
    return rows.select(rendered[c].alias(h) for c, h in zip(RECIPIENT_COLUMNS, layout.recipient_headers))
