-- E01 未达年龄领取养老金
-- A pension (110/120/170) whose benefit_start is before the month the recipient reached the minimum
-- age: 60 for the resident pension, by retirement type, gender and personnel type for employees
-- (退休类型 其他 or unrecognised is not checked). The birth date comes from the ID number when valid.
-- The clue rests on the recipient record; evidence: the person's pension payments of that scheme
-- (none when the data holds none); improper: those for periods before the month of reaching the age.

with min_age_table as (
    select unnest($employee_min_ages, max_depth := 2)
),

pension_recipients as (
    select r.id_number,
           r.scheme,
           r.gender,
           r.benefit_start,
           coalesce(nullif(r.retirement_type, ''), '正常退休') as retirement_type,
           r.personnel_type,
           case when r.id_valid then fw_id_birth_date(r.id_number) else r.birth_date end as birth_date,
           case when r.id_valid then '身份证号码' else '出生日期字段' end as birth_source
    from recipients as r
    where list_contains($pension_schemes, r.scheme)
),

with_min_age as (
    select p.*,
           case when p.scheme = '170' then $resident_pension_age
                else (select m.age
                      from min_age_table as m
                      where m.retirement_type = p.retirement_type
                        and m.gender = p.gender
                        and (m.personnel_type = p.personnel_type or m.personnel_type = '*')
                      order by (m.personnel_type = '*')
                      limit 1)
           end as min_age
    from pension_recipients as p
),

below_age as (
    select *,
           fw_period_add(fw_period_of(birth_date), min_age * 12) as age_reached_period
    from with_min_age
    where min_age is not null
      and benefit_start < fw_period_add(fw_period_of(birth_date), min_age * 12)
),

pension_payments as (
    select p.row_key,
           b.id_number,
           p.period,
           p.amount,
           b.scheme,
           b.benefit_start,
           b.age_reached_period,
           b.min_age,
           b.birth_date,
           b.birth_source,
           b.retirement_type,
           p.period < b.age_reached_period and p.counted as before_age
    from below_age as b
    left join paid_payments as p
        on p.id_number = b.id_number and p.scheme = b.scheme
        and p.group_paid and p.benefit_category = 'pension'
),

per_person as (
    select id_number,
           count(distinct period) filter (before_age) as months_before_age,
           coalesce(sum(amount) filter (before_age), 0) as amount_before_age,
           string_agg(distinct scheme || '险种' || case when scheme = '170' then '' else retirement_type end
                      || '待遇开始年月' || benefit_start || '，按' || birth_source || '出生日期' || fw_day(birth_date)
                      || '，应于' || age_reached_period || '年满' || min_age || '周岁', '；'
                      order by scheme || '险种' || case when scheme = '170' then '' else retirement_type end
                      || '待遇开始年月' || benefit_start || '，按' || birth_source || '出生日期' || fw_day(birth_date)
                      || '，应于' || age_reached_period || '年满' || min_age || '周岁') as facts
    from pension_payments
    group by id_number
)

select p.id_number as subject_key,
       p.row_key as payment_key,
       coalesce(p.before_age, false) as improper,
       s.facts || '；达龄前发放养老金' || s.months_before_age || '个月，合计' || fw_yuan(s.amount_before_age) as evidence
from pension_payments as p
join per_person as s using (id_number)
