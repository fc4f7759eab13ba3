-- overdue (逾期未销号): clues of this scope whose 核查期限 has passed on the day of the run and that
-- are not signed off (销号). Grain: one row per clue.

select s.clue_id, s.rule_id, s.clue_type, s.region_code, s.subject_type, s.in_run,
       f.status, f.verifier, f.deadline,
       (select run_date from run_scope) - f.deadline as days_overdue
from scope_clues as s
join latest_feedback as f using (clue_id)
where f.deadline < (select run_date from run_scope)
  and f.signed_off_on is null
order by f.deadline, s.clue_id
