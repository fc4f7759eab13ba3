-- paid_payments: every payment with what it means to the rules (INPUT.md, payments; CLUES.md, Amounts).
-- Grain: one row per payment. A group is one person's benefit of one scheme, benefit type and period.
-- What a rule calls paid is a group's net: its received payments (发放状态 成功) and reversals
-- (negative amounts). A group whose net is zero or less was not paid, and no rule sees it.
--   counted         the row's amount is part of the net (rows 失败/退回 are evidence, never counted)
--   group_net       the group's net amount
--   group_paid      group_net > 0
--   received_ids    distinct payment_ids received (positive, 成功) in the group
--   first_received  the group's first received payment (by pay date, then payment_id), and its amount
-- counted and received are read from payment_flags, a view over payments that says them once.

-- Nearly every group is one row (one payment per person, benefit and period; at 10M rows of the synthetic
-- county, 37 rows are in 18 groups of more), and a one-row group's facts are the row's own. So only the
-- rows of larger groups are stored, with their group's facts (payment_group_facts, a few rows), and
-- paid_payments is a view: payments joined to those few rows. A copy of every payment as a table cost
-- more than the rules' reading of the view (10M rows: 25 s to write the copy to the run's file).
-- Rows of larger groups are found by a hash of the group's key; a hash shared by two different groups
-- only sends a few more rows through the windows, where the partition is by the key itself.
-- first: the group's first received payment by (pay_date, payment_id, row_key); row_key is unique, so the
-- amount carried in the struct never decides the order.

create or replace view payment_flags as
select *,
       pay_status = '成功' as counted,
       pay_status = '成功' and amount > 0 as received
from payments;

create or replace table payment_group_facts as
with group_hashes as not materialized (
    select row_key, id_number, scheme, benefit_type, period, payment_id, pay_date, amount, counted, received,
           hash(id_number, scheme, benefit_type, period) as group_hash
    from payment_flags
),

shared_hashes as (
    select group_hash
    from group_hashes
    group by group_hash
    having count(*) > 1
),

shared_group_facts as (
    select row_key,
           coalesce(sum(amount) filter (counted) over payment_group, 0) as group_net,
           count(distinct payment_id) filter (received) over payment_group as received_ids,
           min({'pay_date': pay_date, 'payment_id': payment_id, 'row_key': row_key, 'amount': amount})
               filter (received) over payment_group as first
    from group_hashes
    where group_hash in (select group_hash from shared_hashes)
    window payment_group as (partition by id_number, scheme, benefit_type, period)
)

select row_key,
       group_net,
       received_ids,
       first.amount as first_received_amount,
       coalesce(row_key = first.row_key, false) as first_received
from shared_group_facts;

create or replace view paid_payments as
with netted as not materialized (
    select p.* exclude (received),
           coalesce(g.group_net, (case when p.counted then p.amount else 0 end)::decimal(38, 2)) as group_net,
           coalesce(g.received_ids, p.received::bigint) as received_ids,
           case when g.row_key is null then (case when p.received then p.amount end)
                else g.first_received_amount end as first_received_amount,
           coalesce(g.first_received, p.received) as first_received
    from payment_flags p
    left join payment_group_facts g on g.row_key = p.row_key
)
select * exclude (received_ids, first_received_amount, first_received),
       group_net > 0 as group_paid,
       received_ids,
       first_received_amount,
       first_received
from netted
