-- A01 多人共用同一银行账户
-- One bank account that received payments for $min_people or more distinct ID numbers.
-- Evidence and amount: everything paid into the account (net of reversals and payments not received).

with shared_accounts as (
    select bank_account
    from paid_payments
    where group_paid
    group by bank_account
    having count(distinct id_number) >= $min_people
),

account_payments as (
    select p.row_key, p.bank_account, p.id_number, p.name, p.period, p.amount, p.counted
    from paid_payments as p
    join shared_accounts using (bank_account)
    where p.group_paid
),

per_account as (
    select bank_account,
           count(distinct id_number) as people,
           string_agg(distinct name, '、' order by name) as names,
           min(period) as first_period,
           max(period) as last_period,
           count(*) filter (counted and amount > 0) as payments,
           sum(amount) filter (counted) as amount
    from account_payments
    group by bank_account
)

select a.bank_account as subject_key,
       a.row_key as payment_key,
       a.counted as improper,
       '同一账户接收' || s.people || '名不同人员（' || s.names || '）的待遇，所属期'
           || fw_period_span(s.first_period, s.last_period) || '共' || s.payments || '笔，合计' || fw_yuan(s.amount)
           as evidence
from account_payments as a
join per_account as s using (bank_account)
