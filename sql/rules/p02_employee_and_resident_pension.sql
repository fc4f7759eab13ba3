-- P02 重复领取职工与城乡居民养老金
-- A person paid a pension (the pension category; back pay excluded) from 110 or 120 and from 170
-- for the same period, net of reversals and payments not received. Evidence: both pensions in the
-- overlapping periods. Counted: the 170 基础养老金, the part to be refunded (人社部发〔2014〕17号
-- 第八条); where the export does not split the resident pension, the whole 170 pension.

with pensions as not materialized (
    select row_key, id_number, scheme, benefit_type, period, amount, counted
    from paid_payments
    where group_paid
      and benefit_category = 'pension'
      and list_contains($pension_schemes, scheme)
),

-- the people paid by both kinds of scheme, found first by one row per person: the periods are compared
-- on their pensions alone (every pension kept for the comparison spilled gigabytes at 100M payments)
people_of_both as (
    select id_number
    from pensions
    group by id_number
    having bool_or(scheme in ('110', '120')) and bool_or(scheme = '170')
),

their_pensions as (
    select p.*
    from pensions as p
    join people_of_both using (id_number)
),

overlapping_periods as (
    select id_number, period from their_pensions where scheme in ('110', '120')
    intersect
    select id_number, period from their_pensions where scheme = '170'
),

split_resident_periods as (
    select distinct id_number, period
    from their_pensions
    where scheme = '170' and benefit_type = $resident_basic_pension
),

overlap_payments as (
    select p.*,
           p.scheme = '170' as is_resident,
           p.scheme = '170' and p.counted
               and (p.benefit_type = $resident_basic_pension or s.period is null) as refundable
    from their_pensions as p
    join overlapping_periods using (id_number, period)
    left join split_resident_periods as s using (id_number, period)
),

per_person as (
    select id_number,
           count(distinct period) as months,
           min(period) as first_period,
           max(period) as last_period,
           string_agg(distinct scheme, '、' order by scheme) filter (not is_resident) as employee_schemes,
           bool_or(refundable and benefit_type = $resident_basic_pension) as split,
           sum(amount) filter (refundable) as refundable_amount
    from overlap_payments
    group by id_number
)

select o.id_number as subject_key,
       o.row_key as payment_key,
       o.refundable as improper,
       '同时领取职工基本养老金（' || s.employee_schemes || '）和城乡居民基本养老金（170），重叠所属期'
           || fw_period_span(s.first_period, s.last_period) || '共' || s.months || '个月；重叠期间应清退的城乡居民'
           || case when s.split then '基础养老金' else '养老金' end || '合计' || fw_yuan(s.refundable_amount)
           || '，城乡居民养老保险待遇应终止' as evidence
from overlap_payments as o
join per_person as s using (id_number)
where s.refundable_amount > 0
