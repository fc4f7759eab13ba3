-- 经办审核问题发放: per operator (经办) and per reviewer (审核) in each county, the improper payments
-- they handled: the clues and people behind them, the improper amount (each payment once, however
-- many clues name it) and the rules, with the share of the county's improper amount, so that the
-- team sees whether losses concentrate on a few desks.
-- Grain: one row per county, stage (经办/审核) and staff ID with at least one improper payment.

with improper_payments as (
    select e.clue_id, c.rule_id, e.row_key, e.amount, p.id_number,
           coalesce(nullif(p.county, ''), p.region_code) as county, p.operator_id, p.reviewer_id
    from clue_evidence as e
    join clues as c using (clue_id)
    join payments as p on p.row_key = e.row_key
    where e.counted and e.amount_kind = 'improper'
),

handled as (
    select '经办' as stage, county, operator_id as staff_id, clue_id, rule_id, row_key, amount, id_number
    from improper_payments
    where operator_id is not null
    union all
    select '审核', county, reviewer_id, clue_id, rule_id, row_key, amount, id_number
    from improper_payments
    where reviewer_id is not null
),

county_totals as (
    select county, sum(amount) as county_amount
    from (select distinct county, row_key, amount from improper_payments)
    group by county
),

per_staff_payments as (
    select stage, county, staff_id, sum(amount) as amount
    from (select distinct stage, county, staff_id, row_key, amount from handled)
    group by stage, county, staff_id
),

per_staff_rules as (
    select stage, county, staff_id,
           string_agg(rule_id || ' ' || clues || '条', '、' order by rule_id) as rules
    from (select stage, county, staff_id, rule_id, count(distinct clue_id) as clues
          from handled group by stage, county, staff_id, rule_id)
    group by stage, county, staff_id
),

per_staff as (
    select stage, county, staff_id,
           count(distinct clue_id) as clue_count,
           count(distinct id_number) as people,
           string_agg(distinct clue_id, ';' order by clue_id) as clue_ids
    from handled
    group by stage, county, staff_id
),

ranked as (
    select s.*, a.amount, r.rules, t.county_amount,
           rank() over (partition by s.stage, s.county order by a.amount desc, s.staff_id) as amount_rank,
           count(*) over (partition by s.stage, s.county) as desks
    from per_staff as s
    join per_staff_payments as a using (stage, county, staff_id)
    join per_staff_rules as r using (stage, county, staff_id)
    join county_totals as t using (county)
)

select stage || '|' || county || '|' || staff_id as finding_key,
       '经办审核问题发放' as problem_type,
       county as region_code,
       stage,
       case when stage = '经办' then staff_id end as operator_id,
       case when stage = '审核' then staff_id end as reviewer_id,
       clue_count,
       people,
       amount::decimal(18, 2) as amount,
       stage || '的问题发放涉及' || clue_count || '条线索（' || rules || '）、' || people || '人，问题金额'
           || fw_yuan(amount) || '，占本县区问题金额的' || printf('%.1f', amount * 100.0 / county_amount) || '%（'
           || desks || '名' || stage || '人员中第' || amount_rank || '位）' as note,
       clue_ids,
       null::integer as months,
       null::integer as days,
       0::decimal(18, 2) as exposure_amount
from ranked
