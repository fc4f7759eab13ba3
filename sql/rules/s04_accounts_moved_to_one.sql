-- S04 同一经办人将多人账号改为同一账户
-- One operator changed the accounts of $min_people or more different persons to the same new
-- account (变更账号). Subject: the operator; one clue covers every such account. Evidence: each
-- account and every person moved to it, with the dates; counted: everything paid into the account
-- (net of reversals and payments not received), a payment to verify.

with changes as (
    select operator_id, fw_parse_account(new_value) as new_account, id_number, op_time, reviewer_id
    from operations
    where op_type = '变更账号' and fw_parse_account(new_value) is not null
),

shared_targets as (
    select operator_id, new_account
    from changes
    group by operator_id, new_account
    having count(distinct id_number) >= $min_people
),

person_names as (
    select id_number, min(name) as name
    from (select id_number, name from recipients
          union all
          select id_number, name from payments)
    where id_number in (select c.id_number from changes as c join shared_targets as t using (operator_id, new_account))
    group by id_number
),

moves as (
    select c.operator_id, c.new_account, c.id_number,
           coalesce(n.name, '（姓名不详）') || '（' || strftime(min(c.op_time), '%Y-%m-%d') || '）' as move_text
    from changes as c
    join shared_targets as t using (operator_id, new_account)
    left join person_names as n using (id_number)
    group by c.operator_id, c.new_account, c.id_number, n.name
),

per_account as (
    select operator_id, new_account,
           '将' || count(*) || '人（' || string_agg(move_text, '、' order by move_text) || '）的待遇账号改为同一账户'
               || new_account as account_text
    from moves
    group by operator_id, new_account
),

account_payments as (
    select t.operator_id, p.row_key, p.period, p.amount, p.counted
    from shared_targets as t
    join paid_payments as p on p.bank_account = t.new_account and p.group_paid
),

per_operator as (
    select a.operator_id,
           string_agg(a.account_text, '；' order by a.account_text) as accounts,
           (select count(*) filter (counted and amount > 0) from account_payments as p
            where p.operator_id = a.operator_id) as payments,
           (select coalesce(sum(amount) filter (counted), 0) from account_payments as p
            where p.operator_id = a.operator_id) as amount
    from per_account as a
    group by a.operator_id
)

select s.operator_id as subject_key,
       p.row_key as payment_key,
       coalesce(p.counted, false) as improper,
       '经办人' || s.operator_id || s.accounts || '；汇入上述账户的待遇共' || s.payments || '笔，合计'
           || fw_yuan(s.amount) as evidence
from per_operator as s
left join account_payments as p using (operator_id)
