-- D03 丧葬补助金重复领取 (the worked example of docs/CONTRIBUTING.md)
-- A death one-off (丧葬补助金, 丧葬费, 一次性抚恤金 …: benefit category death_one_off) is paid once
-- per death. The same one-off paid for one person in two or more periods or schemes is a clue. Every
-- payment of such a one-off is evidence; counted: the net of every paid period after the first.

with grants as (
    select p.row_key,
           p.id_number,
           p.benefit_type,
           p.amount,
           p.counted,
           dense_rank() over (partition by p.id_number, p.benefit_type order by p.period, p.scheme) as grant_number
    from paid_payments as p
    where p.benefit_category = $one_off_category and p.group_paid
),

repeated as (
    select id_number,
           benefit_type,
           max(grant_number) as times,
           sum(amount) filter (counted and grant_number > 1) as extra_amount
    from grants
    group by id_number, benefit_type
    having max(grant_number) >= $min_times
),

per_person as (
    select id_number,
           string_agg(benefit_type || '领取' || times || '次', '、' order by benefit_type) as what,
           sum(extra_amount) as extra_amount
    from repeated
    group by id_number
)

select g.id_number as subject_key,
       g.row_key as payment_key,
       g.counted and g.grant_number > 1 as improper,
       s.what || '，第二次起合计' || fw_yuan(s.extra_amount) as evidence
from grants as g
join repeated as r using (id_number, benefit_type)
join per_person as s using (id_number)
