-- P01 同期重复发放
-- Payments with two or more different payment_ids for the same person, scheme, benefit type and
-- period in one county. Every payment of a group is evidence; all but the first paid are improper.
-- An exact duplicate export row never gets here: it is quarantined at load.

with duplicated_groups as (
    select id_number, scheme, benefit_type, period, region_code
    from payments
    group by all
    having count(distinct payment_id) >= 2
),

group_payments as (
    select p.row_key,
           p.id_number,
           p.payment_id,
           p.benefit_type,
           p.period,
           p.amount,
           row_number() over (partition by p.id_number, p.scheme, p.benefit_type, p.period, p.region_code
                              order by p.pay_date, p.payment_id, p.row_key) as paid_order
    from payments as p
    join duplicated_groups as g using (id_number, scheme, benefit_type, period, region_code)
),

per_person as (
    select id_number,
           count(distinct (benefit_type, period)) as duplicated_periods,
           string_agg(distinct period::varchar || benefit_type, '、' order by period::varchar || benefit_type)
               as period_list,
           count(*) as payments_in_groups,
           count(*) filter (paid_order > 1) as extra_payments,
           sum(amount) filter (paid_order > 1) as extra_amount
    from group_payments
    group by id_number
)

select g.id_number as subject_key,
       g.row_key as payment_key,
       g.paid_order > 1 as improper,
       s.duplicated_periods || '个所属期同一待遇重复发放（' || s.period_list || '），涉及' || s.payments_in_groups
           || '笔不同流水号的发放，重复多发' || s.extra_payments || '笔，合计' || fw_yuan(s.extra_amount) as evidence
from group_payments as g
join per_person as s using (id_number)
