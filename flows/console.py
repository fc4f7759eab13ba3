"""What `fundwatch` prints: the consoles, one-line errors with their exit codes, and the summary of a
finished run (clues per rule, inputs, amounts, management, the county ranking, tip-offs, history)."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fundwatch import interrupt

# Exit codes (README, "Exit codes").
EXIT_FAILURE = 1  # unexpected: one line, the traceback in OUT.error.log
EXIT_BAD_INPUT = 2  # arguments, input files, an output folder that must not be replaced
EXIT_ENVIRONMENT = 3  # the machine: Prefect's server cannot start, a folder cannot be written
EXIT_INTERRUPTED = interrupt.EXIT_CODE  # 130: SIGINT or SIGTERM


def _make_console(stderr: bool = False) -> Console:
    """A console as wide as the terminal, or 200 columns when output goes to a file or a pipe (rich's 80 cut tables)."""
    stream = sys.stderr if stderr else sys.stdout
    terminal = hasattr(stream, "isatty") and stream.isatty()
    return Console(stderr=stderr, width=None if terminal or os.environ.get("COLUMNS") else 200)


console = _make_console()
err_console = _make_console(stderr=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def summary(result: dict) -> None:
    rules = Table(title="问题线索 clues per rule", show_lines=False)
    for column in ("rule", "status", "clues", "amount (元)", "note"):
        rules.add_column(column, justify="right" if column in ("clues", "amount (元)") else "left")
    per_rule = result["clues"]["per_rule"]
    for outcome in result["rules"]:
        rule_id, key = outcome["rule_id"], outcome.get("rule_key", outcome["rule_id"])
        ran = outcome["status"] == "run"
        amount = per_rule.get(rule_id, {}).get("amount", "0.00") if key == rule_id else "(计入上行)"
        note = outcome.get("reason", "")
        if outcome.get("held_back"):
            note = f"{note} held back {outcome['held_back']} (verified 不属实)".strip()
        rules.add_row(key, outcome["status"], str(outcome["clues"]) if ran else "-", amount if ran else "-",
                      escape(note))
    console.print(rules)
    inputs = Table(title="inputs: rows read = loaded + quarantined")
    for column in ("file", "table", "read", "loaded", "quarantined"):
        inputs.add_column(column, justify="left" if column in ("file", "table") else "right")
    for f in result["inputs"]:
        inputs.add_row(escape(f["path"]), f["table"], str(f["rows_read"]), str(f["rows_loaded"]),
                       str(f["rows_quarantined"]))
    console.print(inputs)
    for warning in result.get("load_warnings", []):
        console.print(f"[bold yellow]warning:[/] {escape(warning)}")
    validation = result.get("validation", {})
    failed = sum(t.get("failed", 0) for t in validation.get("tables", {}).values())
    if "tables" in validation:
        console.print(f"data quality: {failed} failed expectations (see manifest.json and data_docs/)")
    console.print(f"问题金额 improper {result['clues']['improper_amount']} 元 · 涉及金额 exposure "
                  f"{result['clues']['exposure_amount']} 元 (each payment counted once)")
    management_line(result.get("management") or result["clues"].get("management"))
    console.print(f"[bold green]{result['clues']['clues']} clues[/] written to {escape(str(result['out_dir']))}")
    for kept in result.get("kept", []):
        console.print(f"the filled-in files of the folder replaced are kept in {escape(kept)}")


def management_line(management: dict | None) -> None:
    """management.csv: written with how many findings, and each part not analysed and why."""
    if not management:
        return
    if management.get("written"):
        console.print(f"management.csv 管理问题: {management['findings']} findings")
    else:
        console.print("management.csv not written")
    for part in management.get("parts", []):
        if part.get("status") == "skipped":
            console.print(f"  {escape(part['title'])} not analysed: {escape(part['reason'])}")


def ranking(result: dict) -> None:
    ranking = result["clues"].get("ranking")
    if not ranking:
        return
    table = Table(title="测评排名 county comparison (per 10,000 recipients)")
    for column in ("rank", "county", "recipients", "payments", "clues", "问题金额 improper", "涉及金额 exposure",
                   "clues/10k", "improper/10k"):
        table.add_column(column, justify="left" if column == "county" else "right")
    for r in ranking:
        table.add_row(str(r["rank"]), escape(r["county"]), str(r["recipients"]), str(r["payments"]), str(r["clues"]),
                      r["improper_amount"], r["exposure_amount"], f"{r['clues_per_10k'] or 0:.2f}",
                      r["amount_per_10k"] or "0.00")
    console.print(table)


def verification(result: dict) -> None:
    """One line each for the tip-offs (信访) and, with a history, 抽查复核 and overdue clues."""
    tipoffs = result.get("tipoffs") or (result.get("clues") or {}).get("tipoffs") or {}
    if tipoffs.get("given"):
        by_match, by_suggestion = tipoffs["by_match"], tipoffs["by_suggestion"]
        console.print(f"信访 tip-offs: {tipoffs['tipoffs']} (by number {by_match['身份证号']}, by identity "
                      f"{by_match['身份信息']}, unmatched {by_match['未匹配']}); 数据印证 {by_suggestion['数据印证']} "
                      "→ tipoffs.csv")
    history = result.get("history") or (result.get("clues") or {}).get("history") or {}
    if "recheck" in history:
        console.print(f"history: 抽查复核 {history['recheck']} of {history['untrue_verdicts']} clues verified 不属实 "
                      f"→ recheck.csv; 逾期未销号 {history['overdue']} → overdue.csv; 已销号 {history['signed_off']}")
