-- paid_payments: every payment with what it means to the rules (INPUT.md, payments; CLUES.md, Amounts).
-- Grain: one row per payment. A group is one person's benefit of one scheme, benefit type and period.
-- What a rule calls paid is a group's net: its received payments (发放状态 成功) and reversals
-- (negative amounts). A group whose net is zero or less was not paid, and no rule sees it.
--   counted         the row's amount is part of the net (rows 失败/退回 are evidence, never counted)
--   group_net       the group's net amount
--   group_paid      group_net > 0
--   received_ids    distinct payment_ids received (positive, 成功) in the group
--   first_received  the group's first received payment (by pay date, then payment_id), and its amount

with rows_with_flags as (
    select *,
           pay_status = '成功' as counted,
           pay_status = '成功' and amount > 0 as received
    from payments
),

groups as (
    select id_number, scheme, benefit_type, period,
           coalesce(sum(amount) filter (counted), 0) as group_net,
           count(distinct payment_id) filter (received) as received_ids,
           arg_min(row_key, (pay_date, payment_id, row_key)) filter (received) as first_received_key,
           arg_min(amount, (pay_date, payment_id, row_key)) filter (received) as first_received_amount
    from rows_with_flags
    group by id_number, scheme, benefit_type, period
)

select r.* exclude (received),
       g.group_net,
       g.group_net > 0 as group_paid,
       g.received_ids,
       g.first_received_amount,
       coalesce(r.row_key = g.first_received_key, false) as first_received
from rows_with_flags as r
join groups as g using (id_number, scheme, benefit_type, period)
