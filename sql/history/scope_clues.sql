-- scope_clues: every clue this scope (run_scope) has raised, in an earlier run or in this one, with
-- what is known of it: this run's facts where it is in this run's list (in_run), else those of the
-- latest run that raised it. Grain: one row per clue. Built before the history holds anything back.

with earlier as (
    select c.clue_id,
           arg_max(c.rule_id, (r.started_at, r.run_id)) as rule_id,
           arg_max(c.region_code, (r.started_at, r.run_id)) as region_code,
           arg_max(c.subject_type, (r.started_at, r.run_id)) as subject_type,
           arg_max(c.amount, (r.started_at, r.run_id)) as amount
    from h.history_clues as c
    join h.history_runs as r using (run_id)
    where c.scope = (select scope from run_scope)
    group by c.clue_id
),

titles as (
    select rule_id, min(title) as title from rule_catalogue group by rule_id
)

select clue_id,
       coalesce(c.rule_id, e.rule_id) as rule_id,
       coalesce(c.clue_type, t.title) as clue_type,
       coalesce(c.region_code, e.region_code) as region_code,
       coalesce(c.subject_type, e.subject_type) as subject_type,
       c.id_number,
       c.name,
       coalesce(c.amount, e.amount) as amount,
       c.clue_id is not null as in_run
from earlier as e
full outer join clues as c using (clue_id)
left join titles as t on t.rule_id = coalesce(c.rule_id, e.rule_id)
