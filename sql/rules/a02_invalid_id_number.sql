-- A02 身份证号码异常
-- An ID number (in payments or recipients) that is invalid: wrong length or characters, wrong
-- check digit, impossible birth date; or whose address code (first 6 digits) is no division code of
-- any year in division_codes (a fabricated number can have a correct check digit); or a valid one
-- that disagrees with the recipient's birth_date or gender. A valid 15-digit legacy number or a
-- lower-case x was normalised at load: no clue. An unknown address code leaves the number valid
-- (id_valid, normalisation and every join are as before): it only adds this clue.
-- Evidence and amount: everything paid to the person (net of reversals and payments not received).

with invalid_candidates as (
    select id_number, fw_id_candidate(id_number) as candidate
    from (select id_number from payments where not id_valid
          union
          select id_number from recipients where not id_valid)
),

invalid_numbers as (
    select id_number, fw_id_problem(candidate) as problem
    from invalid_candidates
),

area_candidates as (
    select id_number, id_number as candidate from payments where id_valid
    union all
    select id_number, id_number from recipients where id_valid
    union all
    select id_number, candidate from invalid_candidates where regexp_full_match(candidate, '[0-9]{17}[0-9X]')
),

unknown_areas as (
    select distinct a.id_number,
           '号码地址码' || left(a.candidate, 6) || '不是行政区划代码（GB/T 2260历年均无此代码）' as problem
    from area_candidates as a
    anti join division_codes as d on d.code = left(a.candidate, 6)
),

disagreements as (
    select id_number,
           concat_ws('；',
               case when fw_id_birth_date(id_number) <> birth_date
                    then '号码中的出生日期' || fw_day(fw_id_birth_date(id_number)) || '与出生日期字段'
                         || fw_day(birth_date) || '不一致' end,
               case when fw_id_gender(id_number) <> gender
                    then '号码显示性别为' || fw_id_gender(id_number) || '，与性别字段“' || gender || '”不一致' end)
               as problem
    from recipients
    where id_valid
      and (fw_id_birth_date(id_number) <> birth_date or fw_id_gender(id_number) <> gender)
),

problems as (
    select id_number, string_agg(distinct problem, '；' order by problem) as problem
    from (select * from invalid_numbers union all select * from unknown_areas union all select * from disagreements)
    group by id_number
),

person_payments as (
    select q.id_number, q.problem, p.row_key, p.amount, coalesce(p.counted, false) as counted
    from problems as q
    left join paid_payments as p on p.id_number = q.id_number and p.group_paid
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
       '公民身份号码“' || p.id_number || '”' || p.problem || '；按该号码发放待遇' || s.payments || '笔，合计'
           || fw_yuan(s.amount) as evidence
from person_payments as p
join per_person as s using (id_number)
