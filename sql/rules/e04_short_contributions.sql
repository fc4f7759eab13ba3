-- E04 缴费不足领取职工养老金
-- A 110 recipient whose pension started on or after $new_system_start (199801) with fewer than
-- $min_contribution_months months of contributions. People with no contribution_months are skipped.
-- Evidence and amount: everything paid to the person (net of reversals and payments not received).

with short_contributors as (
    select id_number,
           min(benefit_start) as benefit_start,
           min(contribution_months) as contribution_months
    from recipients
    where scheme = '110'
      and benefit_start >= $new_system_start
      and contribution_months < $min_contribution_months
    group by id_number
),

person_payments as (
    select c.id_number, c.benefit_start, c.contribution_months, p.row_key, p.amount, coalesce(p.counted, false) as counted
    from short_contributors as c
    left join paid_payments as p on p.id_number = c.id_number and p.group_paid
),

per_person as (
    select id_number, count(row_key) filter (counted and amount > 0) as payments,
           coalesce(sum(amount) filter (counted), 0) as amount
    from person_payments
    group by id_number
)

select p.id_number as subject_key,
       p.row_key as payment_key,
       p.counted as improper,
       '企业职工基本养老金待遇开始年月' || p.benefit_start || '，累计缴费' || p.contribution_months || '个月，不足'
           || $min_contribution_months || '个月（' || ($min_contribution_months // 12) || '年）；已发放待遇'
           || s.payments || '笔，合计' || fw_yuan(s.amount) as evidence
from person_payments as p
join per_person as s using (id_number)
