-- A01 (city) 多人共用同一银行账户, across counties
-- One bank account that received payments for $min_people or more distinct ID numbers in two or
-- more counties, where no single county reaches $min_people on it (that county's own A01 clue
-- covers it). Runs on the city database (every county's payments).
-- Evidence and amount: everything paid into the account (net of reversals and payments not received).
-- Only accounts paid in two or more counties can hold such a clue: they are found first by the cheap
-- test min(region_code) <> max(region_code), and the distinct counts are taken on their payments alone
-- (taken over every account, they were most of the rule's time, and spilled at 100M rows).

with multi_county_accounts as (
    select bank_account
    from paid_payments
    where group_paid
    group by bank_account
    having min(region_code) <> max(region_code)
),

multi_county_payments as (
    select p.row_key, p.bank_account, p.id_number, p.name, p.region_code, p.period, p.amount, p.counted
    from paid_payments as p
    join multi_county_accounts using (bank_account)   -- a join, not a semi join: DuckDB built a semi join's
    where p.group_paid                                 -- table on the payments (100M rows: 74 s, 6 GB spilled)
),

per_county as (
    select bank_account, region_code, count(distinct id_number) as people
    from multi_county_payments
    group by bank_account, region_code
),

shared_across_counties as (
    select p.bank_account
    from multi_county_payments as p
    group by p.bank_account
    having count(distinct p.id_number) >= $min_people
       and not exists (select 1 from per_county as c where c.bank_account = p.bank_account and c.people >= $min_people)
),

account_payments as (
    select *
    from multi_county_payments
    semi join shared_across_counties using (bank_account)
),

per_account as (
    select bank_account,
           count(distinct id_number) as people,
           string_agg(distinct name, '、' order by name) as names,
           string_agg(distinct region_code, '、' order by region_code) as counties,
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
       '同一账户接收' || s.counties || '共' || s.people || '名不同人员（' || s.names || '）的待遇，所属期'
           || fw_period_span(s.first_period, s.last_period) || '共' || s.payments || '笔，合计' || fw_yuan(s.amount)
           as evidence
from account_payments as a
join per_account as s using (bank_account)
