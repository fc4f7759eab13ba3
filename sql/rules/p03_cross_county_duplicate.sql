-- P03 跨地区重复领取
-- As P01, but the received payments of a group (same id_number, scheme, benefit_type and period, two
-- or more payment_ids) are in two or more counties, and the group's net (after reversals; payments
-- not received left out) exceeds its first received payment. Runs on the city database (every
-- county's payments).
-- Every payment of such a group is evidence; counted: all of its net but the first received payment.

with cross_county_groups as (
    select id_number, scheme, benefit_type, period
    from paid_payments
    where received_ids >= 2 and group_net > first_received_amount
    group by all
    having count(distinct region_code) filter (counted and amount > 0) >= 2
),

group_payments as (
    select p.row_key,
           p.id_number,
           p.region_code,
           p.benefit_type,
           p.period,
           p.amount,
           p.counted and not p.first_received as extra
    from paid_payments as p
    join cross_county_groups using (id_number, scheme, benefit_type, period)
),

per_person as (
    select id_number,
           string_agg(distinct region_code, '、' order by region_code) as counties,
           count(distinct (benefit_type, period)) as duplicated_periods,
           min(period) as first_period,
           max(period) as last_period,
           count(*) filter (extra and amount > 0) as extra_payments,
           sum(amount) filter (extra) as extra_amount
    from group_payments
    group by id_number
)

select g.id_number as subject_key,
       g.row_key as payment_key,
       g.extra as improper,
       '在' || s.counties || '同时领取同一待遇，' || fw_period_span(s.first_period, s.last_period) || '间'
           || s.duplicated_periods || '个所属期重复发放，扣除冲正和未到账后重复多发' || s.extra_payments || '笔，合计'
           || fw_yuan(s.extra_amount) as evidence
from group_payments as g
join per_person as s using (id_number)
