-- 处置时效: for each D01/D02 clue whose person's death had reached the agency (deaths.registered_date),
-- the improper periods whose payment's pay_date is after the registered date, counted as distinct
-- periods, their amount, and who approved those payments (operator_id / reviewer_id).
-- Grain: one row per clue with at least one such payment. The registered date is the earliest of the
-- person's death records (the first time the agency was told). Death records are joined on the
-- clue's ID number (D01); identity links of D02 join here once they are a table.

with registrations as (
    select id_number, min(registered_date) as registered_date
    from deaths
    where registered_date is not null
    group by id_number
),

improper_payments as (
    select c.clue_id, c.rule_id, c.subject_key as id_number, c.region_code, e.row_key, e.amount,
           p.period, p.pay_date, p.operator_id, p.reviewer_id
    from clues as c
    join clue_evidence as e using (clue_id)
    join payments as p on p.row_key = e.row_key
    where c.rule_id in ('D01', 'D02') and e.counted
),

after_registration as (
    select i.*, r.registered_date
    from improper_payments as i
    join registrations as r using (id_number)
    where i.pay_date > r.registered_date
),

per_clue as (
    select clue_id,
           any_value(rule_id) as rule_id,
           any_value(region_code) as region_code,
           any_value(registered_date) as registered_date,
           count(distinct period) as months,
           sum(amount) as amount,
           min(period) as first_period,
           max(period) as last_period,
           max(pay_date) as last_pay_date,
           string_agg(distinct operator_id, ';' order by operator_id) as operators,
           string_agg(distinct reviewer_id, ';' order by reviewer_id) as reviewers
    from after_registration
    group by clue_id
)

select clue_id as finding_key,
       '处置时效' as problem_type,
       region_code,
       case when operators is null then '系统' else '经办' end as stage,
       operators as operator_id,
       reviewers as reviewer_id,
       1 as clue_count,
       1 as people,
       amount::decimal(18, 2) as amount,
       '死亡信息已于' || fw_day(registered_date) || '登记（推送）至经办机构，此后仍审批发放死亡次月起的待遇'
           || months || '个月（所属期' || fw_period_span(first_period, last_period) || '），合计' || fw_yuan(amount)
           || '；最后一笔发放于' || fw_day(last_pay_date) || '，距登记' || (last_pay_date - registered_date) || '天；'
           || '经办人' || coalesce(operators, '未记录') || '，审核人' || coalesce(reviewers, '未记录')
           || '（' || rule_id || '线索）' as note,
       clue_id as clue_ids,
       months,
       (last_pay_date - registered_date)::integer as days,
       0::decimal(18, 2) as exposure_amount
from per_clue
