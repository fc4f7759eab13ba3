-- P03 跨地区重复领取
-- As P01, but the payments of a group (same id_number, scheme, benefit_type and period, two or more
-- payment_ids) are in two or more counties. Runs on one partition of the city's payments (all
-- counties, cut by id_number), so a person's payments are all in the same partition.
-- Every payment of a group is evidence; all but the first paid are improper.

with duplicated_groups as (
    select id_number, scheme, benefit_type, period
    from payments
    group by all
    having count(distinct payment_id) >= 2 and count(distinct region_code) >= 2
),

group_payments as (
    select p.row_key,
           p.id_number,
           p.region_code,
           p.benefit_type,
           p.period,
           p.amount,
           row_number() over (partition by p.id_number, p.scheme, p.benefit_type, p.period
                              order by p.pay_date, p.region_code, p.payment_id, p.row_key) as paid_order
    from payments as p
    join duplicated_groups as g using (id_number, scheme, benefit_type, period)
),

per_person as (
    select id_number,
           string_agg(distinct region_code, '、' order by region_code) as counties,
           count(distinct (benefit_type, period)) as duplicated_periods,
           min(period) as first_period,
           max(period) as last_period,
           count(*) filter (paid_order > 1) as extra_payments,
           sum(amount) filter (paid_order > 1) as extra_amount
    from group_payments
    group by id_number
)

select g.id_number as subject_key,
       g.row_key as payment_key,
       g.paid_order > 1 as improper,
       '在' || s.counties || '同时领取同一待遇，' || fw_period_span(s.first_period, s.last_period) || '间'
           || s.duplicated_periods || '个所属期重复发放，重复多发' || s.extra_payments || '笔，合计'
           || fw_yuan(s.extra_amount) as evidence
from group_payments as g
join per_person as s using (id_number)
