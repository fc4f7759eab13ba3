-- S03 变更账号后集中补发
-- A 变更账号 for a person followed within $window_days days by back pay into the new account: a 补发
-- operation of $min_months months or more with back pay paid into the new account, or
-- $min_payments or more back-pay payments into it. A back-pay payment is one of the back-pay
-- category (基本养老金补发), or any paid benefit for a period before the month of the change, paid
-- into the new account from the day of the change to $window_days days after it.
-- Subject: the operator of the account change (the back pay's operator is named). Counted: those
-- back-pay payments, net of reversals and payments not received.

with changes as (
    select row_key as change_key, op_time, id_number, operator_id, reviewer_id,
           fw_parse_account(old_value) as old_account,
           fw_parse_account(new_value) as new_account
    from operations
    where op_type = '变更账号' and fw_parse_account(new_value) is not null
),

back_pay_ops as (
    select c.change_key, o.op_time, o.operator_id, o.months
    from changes as c
    join operations as o
        on o.id_number = c.id_number
        and o.op_type = '补发'
        and o.op_time >= c.op_time
        and o.op_time::date <= c.op_time::date + $window_days
),

back_pay_payments as (
    select c.change_key, p.row_key, p.period, p.amount, p.counted
    from changes as c
    join paid_payments as p
        on p.id_number = c.id_number
        and p.bank_account = c.new_account
        and p.group_paid
        and p.pay_date >= c.op_time::date
        and p.pay_date <= c.op_time::date + $window_days
        and (p.benefit_category = 'pension_back_pay' or p.period < fw_period_of(c.op_time))
),

per_change as (
    select change_key,
           count(*) filter (counted and amount > 0) as payments,
           count(distinct period) as months_paid,
           min(period) as first_period,
           max(period) as last_period,
           coalesce(sum(amount) filter (counted), 0) as amount
    from back_pay_payments
    group by change_key
),

big_back_pay as (
    select change_key,
           max(months) as months,
           string_agg(distinct strftime(op_time, '%Y-%m-%d') || '由' || operator_id || '办理补发'
                      || coalesce(months::varchar, '?') || '个月', '、'
                      order by strftime(op_time, '%Y-%m-%d') || '由' || operator_id || '办理补发'
                      || coalesce(months::varchar, '?') || '个月') as ops
    from back_pay_ops
    group by change_key
),

flagged as (
    select c.*, k.payments, k.months_paid, k.first_period, k.last_period, k.amount, b.ops
    from changes as c
    join per_change as k using (change_key)
    left join big_back_pay as b using (change_key)
    where (b.months >= $min_months and k.payments > 0)
       or k.payments >= $min_payments
),

person_names as (
    select id_number, min(name) as name
    from (select id_number, name from recipients
          union all
          select id_number, name from payments)
    where id_number in (select id_number from flagged)
    group by id_number
),

change_texts as (
    select f.operator_id, f.change_key,
           strftime(f.op_time, '%Y-%m-%d') || '将' || coalesce(n.name, '（姓名不详）') || '的待遇账号由'
               || coalesce(f.old_account, '（未记录）') || '变更为' || f.new_account
               || '（审核人' || coalesce(f.reviewer_id, '未记录') || '），' || $window_days || '天内'
               || coalesce(f.ops || '，', '') || '补发' || f.payments || '笔（所属期'
               || fw_period_span(f.first_period, f.last_period) || '，' || f.months_paid || '个月）汇入新账号，合计'
               || fw_yuan(f.amount) as change_text,
           f.amount
    from flagged as f
    left join person_names as n using (id_number)
),

per_operator as (
    select operator_id,
           count(*) as changes,
           string_agg(change_text, '；' order by change_text) as texts,
           sum(amount) as amount
    from change_texts
    group by operator_id
)

select f.operator_id as subject_key,
       p.row_key as payment_key,
       p.counted as improper,
       '经办人' || s.operator_id || '办理变更账号后集中补发' || s.changes || '次：' || s.texts || '；合计'
           || fw_yuan(s.amount) as evidence
from flagged as f
join back_pay_payments as p using (change_key)
join per_operator as s using (operator_id)
