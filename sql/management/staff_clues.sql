-- 经办人员违规操作: the S-rule clues (S01–S04) per staff member, with the people and amounts behind
-- them: 问题金额 the payments counted by S01–S03 (money that should not have been paid), the
-- exposure of S04 (payments to verify) apart, each payment once.
-- Grain: one row per staff member (clue subject) with at least one S-rule clue.

with staff_clues as (
    select clue_id, rule_id, subject_key as staff_id, region_code
    from clues
    where rule_id in ('S01', 'S02', 'S03', 'S04')
),

payments_behind as (
    select s.staff_id, e.row_key, e.amount, e.counted, e.amount_kind, p.id_number
    from staff_clues as s
    join clue_evidence as e using (clue_id)
    join payments as p on p.row_key = e.row_key
),

amounts as (
    select staff_id,
           count(distinct id_number) as people,
           coalesce(sum(amount) filter (improper), 0) as amount,
           coalesce(sum(amount) filter (not improper), 0) as exposure_amount
    from (select staff_id, row_key, any_value(amount) as amount, any_value(id_number) as id_number,
                 bool_or(counted and amount_kind = 'improper') as improper, bool_or(counted) as counted
          from payments_behind
          group by staff_id, row_key)
    where counted
    group by staff_id
),

per_staff as (
    select staff_id,
           string_agg(distinct region_code, ';' order by region_code) as region_code,
           sum(n)::integer as clue_count,
           string_agg(rule_id || ' ' || n || '条', '、' order by rule_id) as rules,
           string_agg(clue_ids, ';' order by clue_ids) as clue_ids
    from (select staff_id, region_code, rule_id, count(*) as n,
                 string_agg(clue_id, ';' order by clue_id) as clue_ids
          from staff_clues group by staff_id, region_code, rule_id)
    group by staff_id
)

select s.staff_id as finding_key,
       '经办人员违规操作' as problem_type,
       s.region_code,
       '经办' as stage,
       s.staff_id as operator_id,
       null::varchar as reviewer_id,
       s.clue_count,
       coalesce(a.people, 0) as people,
       coalesce(a.amount, 0)::decimal(18, 2) as amount,
       '经办人员' || s.staff_id || '有' || s.clue_count || '条违规操作线索（' || s.rules || '），问题金额'
           || fw_yuan(coalesce(a.amount, 0))
           || case when coalesce(a.exposure_amount, 0) > 0
                   then '，另有需核实的汇入账户发放' || fw_yuan(a.exposure_amount) else '' end as note,
       s.clue_ids,
       null::integer as months,
       null::integer as days,
       coalesce(a.exposure_amount, 0)::decimal(18, 2) as exposure_amount
from per_staff as s
left join amounts as a using (staff_id)
