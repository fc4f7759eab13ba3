-- P01 同期重复发放
-- Two or more received payments with different payment_ids for the same person, scheme, benefit
-- type and period in one county, whose net (after reversals; payments not received left out)
-- exceeds the first received payment. Every payment of such a group is evidence; counted: all of
-- its net but the first received payment. An exact duplicate export row never gets here: it is
-- quarantined at load. A resident pension's 基础养老金 and 个人账户养老金 are two benefit types.

with group_payments as (
    select p.row_key,
           p.id_number,
           p.payment_id,
           p.benefit_type,
           p.period,
           p.amount,
           p.counted and not p.first_received as extra
    from paid_payments as p
    where p.received_ids >= 2 and p.group_net > p.first_received_amount
),

per_person as (
    select id_number,
           count(distinct (benefit_type, period)) as duplicated_periods,
           string_agg(distinct period::varchar || benefit_type, '、' order by period::varchar || benefit_type)
               as period_list,
           count(*) as payments_in_groups,
           count(*) filter (extra and amount > 0) as extra_payments,
           sum(amount) filter (extra) as extra_amount
    from group_payments
    group by id_number
)

select g.id_number as subject_key,
       g.row_key as payment_key,
       g.extra as improper,
       s.duplicated_periods || '个所属期同一待遇重复发放（' || s.period_list || '），涉及' || s.payments_in_groups
           || '笔发放，扣除冲正和未到账后重复多发' || s.extra_payments || '笔，合计' || fw_yuan(s.extra_amount) as evidence
from group_payments as g
join per_person as s using (id_number)
