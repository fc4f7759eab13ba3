-- S01 待遇发往经办人员本人账户
-- A paid benefit (net of reversals and payments not received) into a bank account that the staff
-- list (经办人员信息) gives as a staff member's own, for a recipient who is not that staff member
-- (a clerk's own pension into the clerk's own account is no clue). Subject: the staff member who
-- owns the account, named with their unit (所在机构, else 行政区划代码): the staff list is the city's,
-- so a clerk of one county paid into in another is found in that county. Counted: those payments.

with staff_accounts as (
    select distinct bank_account, operator_id, id_number as staff_id_number, name as staff_name,
           coalesce(unit_name, region_code) as staff_unit
    from staff
    where bank_account is not null
),

paid_to_staff as (
    select p.row_key, p.id_number, p.name, p.period, p.amount, p.counted, p.bank_account,
           s.operator_id, s.staff_name, s.staff_unit
    from paid_payments as p
    join staff_accounts as s using (bank_account)
    where p.group_paid
      and p.id_number <> s.staff_id_number
),

per_staff as (
    select operator_id,
           min(staff_name) as staff_name,
           string_agg(distinct staff_unit, '、' order by staff_unit) as staff_unit,
           string_agg(distinct bank_account, '、' order by bank_account) as accounts,
           count(distinct id_number) as people,
           string_agg(distinct name, '、' order by name) as names,
           min(period) as first_period,
           max(period) as last_period,
           count(*) filter (counted and amount > 0) as payments,
           sum(amount) filter (counted) as amount
    from paid_to_staff
    group by operator_id
)

select a.operator_id as subject_key,
       a.row_key as payment_key,
       a.counted as improper,
       '经办人员信息显示账户' || s.accounts || '为经办人员' || s.staff_name || '（工号' || a.operator_id
           || coalesce('，' || s.staff_unit, '') || '）本人账户，该账户接收' || s.people || '名其他人员（' || s.names || '）的待遇，所属期'
           || fw_period_span(s.first_period, s.last_period) || '共' || s.payments || '笔，合计' || fw_yuan(s.amount)
           as evidence
from paid_to_staff as a
join per_staff as s using (operator_id)
