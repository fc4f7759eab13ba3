-- A03 经办与审核为同一人
-- Payments whose operator_id equals reviewer_id (both present). One clue per staff member covering
-- all such payments; counted: their net (reversals and payments not received left out).

with self_approved as (
    select row_key, operator_id, id_number, period, amount, counted
    from paid_payments
    where group_paid and operator_id is not null and reviewer_id is not null and operator_id = reviewer_id
),

per_staff as (
    select operator_id,
           count(*) filter (counted and amount > 0) as payments,
           count(distinct id_number) as people,
           min(period) as first_period,
           max(period) as last_period,
           sum(amount) filter (counted) as amount
    from self_approved
    group by operator_id
)

select a.operator_id as subject_key,
       a.row_key as payment_key,
       a.counted as improper,
       '经办人' || a.operator_id || '同时担任审核人，自行经办并审核' || s.people || '人的待遇发放'
           || s.payments || '笔（所属期' || fw_period_span(s.first_period, s.last_period) || '），合计'
           || fw_yuan(s.amount) || '，违反不相容岗位分离要求' as evidence
from self_approved as a
join per_staff as s using (operator_id)
