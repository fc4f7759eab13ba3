-- P04 一人多号重复领取
-- Two recipients with different valid id_numbers that identity resolution links (identity_links,
-- purpose 'recipients', match probability at least $min_probability) and that CLUES.md's facts
-- support: the same name or the same pinyin, the same birth date and gender, and a third fact (a
-- shared bank account or the same person_id). Both are paid a pension (the pension category of
-- 110/120/170; back pay excluded) for the same period, net of reversals and payments not received.
-- The subject is the number whose pension began later (the tie: the larger number); its pension in
-- the overlapping periods is counted. Evidence: both numbers' pensions in those periods (a clue
-- across two counties names both).

with links as (
    select left_id_number as a, right_id_number as b, match_probability, agreeing_fields
    from identity_links
    where purpose = 'recipients'
      and left_id_valid and right_id_valid
      and left_id_number <> right_id_number
      and match_probability >= $min_probability
      and list_contains($name_levels, levels['name'])
      and levels['birth_date_p04'] = 'exact'
      and levels['gender'] = 'same'
      and (levels['bank_account'] = 'shared' or levels['person_id'] = 'same')
),

pension_start as (
    select id_number, min(benefit_start) as benefit_start
    from recipients
    where list_contains($pension_schemes, scheme)
    group by id_number
),

ordered as (   -- subject: the number enrolled later
    select case when (sa.benefit_start, l.a) > (sb.benefit_start, l.b) then l.a else l.b end as subject,
           case when (sa.benefit_start, l.a) > (sb.benefit_start, l.b) then l.b else l.a end as other,
           l.match_probability,
           l.agreeing_fields
    from links as l
    join pension_start as sa on sa.id_number = l.a
    join pension_start as sb on sb.id_number = l.b
),

pensions as not materialized (
    select row_key, id_number, scheme, period, amount, counted
    from paid_payments
    where group_paid
      and benefit_category = 'pension'
      and list_contains($pension_schemes, scheme)
),

linked_pensions as (   -- the pensions of the linked numbers (a few hundred numbers, not all: every pension
    select *               -- kept for the later steps spilled gigabytes at 100M payments)
    from pensions
    where id_number in (select subject from ordered union select other from ordered)
),

linked_periods as (   -- the months the linked numbers were paid a pension
    select distinct id_number, period
    from linked_pensions
),

overlap as (
    select distinct o.subject, o.other, ps.period
    from ordered as o
    join linked_periods as ps on ps.id_number = o.subject
    join linked_periods as po on po.id_number = o.other and po.period = ps.period
),

per_subject as (
    select o.subject,
           string_agg(distinct o.other, '、' order by o.other) as others,
           min(o.period) as first_period,
           max(o.period) as last_period,
           count(distinct o.period) as months
    from overlap as o
    group by o.subject
),

facts as (
    select subject,
           string_agg(distinct agreeing_fields, '；' order by agreeing_fields) as agreeing_fields,
           max(match_probability) as match_probability,
           string_agg(distinct other, '、' order by other) as linked
    from ordered
    group by subject
),

subject_payments as (
    select p.*
    from linked_pensions as p
    join (select distinct subject, period from overlap) as o on o.subject = p.id_number and o.period = p.period
),

other_payments as (   -- the other number's pensions in the same periods: evidence, not counted
    select o.subject, p.row_key
    from linked_pensions as p
    join (select distinct subject, other, period from overlap) as o on o.other = p.id_number and o.period = p.period
),

amounts as (
    select id_number, sum(amount) filter (counted) as amount, string_agg(distinct scheme, '、' order by scheme) as schemes
    from subject_payments
    group by id_number
),

evidence_rows as (
    select id_number as subject, row_key, counted as improper from subject_payments
    union all
    select subject, row_key, false from other_payments
)

select e.subject as subject_key,
       e.row_key as payment_key,
       e.improper,
       '与身份证号' || s.others || '经身份识别疑为同一人（' || f.agreeing_fields || '一致，匹配概率'
           || printf('%.3f', f.match_probability) || '）；两个号码同时领取养老金，重叠所属期'
           || fw_period_span(s.first_period, s.last_period) || '共' || s.months || '个月，本号码（待遇开始较晚）重叠期间领取'
           || a.schemes || '养老金合计' || fw_yuan(a.amount) as evidence
from evidence_rows as e
join per_subject as s on s.subject = e.subject
join facts as f on f.subject = e.subject
join amounts as a on a.id_number = e.subject
where a.amount > 0
