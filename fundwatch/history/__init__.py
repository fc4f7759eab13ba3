"""The verification loop: feedback from the teams (核查结果 and the workflow 核查销号) into a history
database, and runs that compare their clues with the previous run, carry the findings forward, keep a
clue open until it is signed off, draw clues verified 不属实 for re-checking (抽查复核), list overdue
clues and report rectification.

The history database is append-only; every access holds its lock (fundwatch.locking), so two
processes never write it at once.

store: the schema, and a run recorded with its clues; apply: a run against the history; feedback:
storing a returned clue list (feedback_file reads it, feedback_checks checks each row); run_folders:
a run made without --history.
"""

from fundwatch.history.apply import (apply_history, history_summary, rank_counties_on_verified_results,
                                     ranking_columns, write_history_csvs)
from fundwatch.history.feedback import FeedbackReport, import_feedback
from fundwatch.history.feedback_file import read_feedback_file
from fundwatch.history.store import record_run

__all__ = ["FeedbackReport", "apply_history", "history_summary", "import_feedback", "rank_counties_on_verified_results",
           "ranking_columns", "read_feedback_file", "record_run", "write_history_csvs"]
