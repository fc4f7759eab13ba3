-- P02 重复领取职工与城乡居民养老金
-- A person paid a basic pension (基本养老金; back pay excluded) from 110 or 120 and from 170 for the
-- same period. Evidence: both pensions in the overlapping periods; improper: the 170 payments,
-- which are to be ended and refunded (《城乡养老保险制度衔接暂行办法》第八条).

with pensions as (
    select row_key, id_number, scheme, period, amount
    from payments
    where list_contains($pension_benefit_types, benefit_type)
      and list_contains($pension_schemes, scheme)
),

overlapping_periods as (
    select id_number, period from pensions where scheme in ('110', '120')
    intersect
    select id_number, period from pensions where scheme = '170'
),

overlap_payments as (
    select p.*, p.scheme = '170' as is_resident
    from pensions as p
    join overlapping_periods using (id_number, period)
),

per_person as (
    select id_number,
           count(distinct period) as months,
           min(period) as first_period,
           max(period) as last_period,
           string_agg(distinct scheme, '、' order by scheme) filter (not is_resident) as employee_schemes,
           count(*) filter (is_resident) as resident_payments,
           sum(amount) filter (is_resident) as resident_amount
    from overlap_payments
    group by id_number
)

select o.id_number as subject_key,
       o.row_key as payment_key,
       o.is_resident as improper,
       '同时领取职工基本养老金（' || s.employee_schemes || '）和城乡居民基本养老金（170），重叠所属期'
           || fw_period_span(s.first_period, s.last_period) || '共' || s.months || '个月；重叠期间城乡居民养老金'
           || s.resident_payments || '笔，合计' || fw_yuan(s.resident_amount) || '，应终止并清退' as evidence
from overlap_payments as o
join per_person as s using (id_number)
