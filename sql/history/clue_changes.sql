-- clue_changes: this run's clues against the previous run of the same scope (run_scope), one row
-- per clue of either run: 新增 (new), 持续 (still there), 已消除 (gone), 不属实未再提出 (verified
-- not true, signed off (销号) and no payment after the verdict: not raised again), or 再次提出
-- (verified not true, but payments after the verdict's last period raise it again). A clue verified
-- 不属实 stays open, and in the list, until it is signed off.

with previous_run as (
    select run_id
    from h.history_runs
    where scope = (select scope from run_scope)
    order by started_at desc, run_id desc
    limit 1
),

previous_clues as (
    select c.*
    from h.history_clues as c
    where c.run_id = (select run_id from previous_run)
),

current_clues as (
    select c.clue_id, c.rule_id, c.region_code, c.subject_type, c.period_end,
           f.status as last_status, f.verdict_period_end, f.signed_off_on is not null as signed_off
    from clues as c
    left join latest_feedback as f using (clue_id)
)

select clue_id, rule_id, region_code, subject_type, last_status,
       case when last_status = '不属实' and period_end <= coalesce(verdict_period_end, 0) and signed_off
                then '不属实未再提出'
            when last_status = '不属实' and period_end > coalesce(verdict_period_end, 0) then '再次提出'
            when clue_id in (select clue_id from previous_clues) then '持续'
            else '新增' end as change
from current_clues
union all
select p.clue_id, p.rule_id, p.region_code, p.subject_type, f.status as last_status, '已消除' as change
from previous_clues as p
left join latest_feedback as f using (clue_id)
where not exists (select 1 from clues as c where c.clue_id = p.clue_id)
