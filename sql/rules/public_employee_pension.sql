-- E02 财政供养人员领取城乡居民养老金 and E06 在编在岗期间领取职工养老金
-- A paid benefit of $schemes (of $benefit_categories; '*' is every category) for a period within a
-- public_employees record: start_date (month) <= period and end_date empty or its month >= period.
-- A missing start_date bounds nothing. Counted: those payments, net of reversals and payments not
-- received. The records named are those covering a flagged period.

with employed_months as (
    select id_number,
           coalesce(fw_period_of(start_date), 0) as first_period,
           coalesce(fw_period_of(end_date), 999912) as last_period,
           coalesce(unit_name, '单位未注明') || '（入编' || coalesce(fw_day(start_date), '日期未注明')
               || case when end_date is null then '，至今在编' else '，' || fw_day(end_date) || '离职' end
               || '）' as record_text
    from public_employees
),

paid_while_employed as (
    select p.row_key, p.id_number, p.period, p.amount, p.counted
    from paid_payments as p
    where p.group_paid
      and list_contains($schemes, p.scheme)
      and (list_contains($benefit_categories, '*') or list_contains($benefit_categories, p.benefit_category))
      and p.id_number in (select id_number from employed_months)
      and exists (select 1 from employed_months as e
                  where e.id_number = p.id_number and p.period between e.first_period and e.last_period)
),

records as (
    select e.id_number, string_agg(distinct e.record_text, '；' order by e.record_text) as records
    from employed_months as e
    where exists (select 1 from paid_while_employed as p
                  where p.id_number = e.id_number and p.period between e.first_period and e.last_period)
    group by e.id_number
),

per_person as (
    select id_number,
           count(distinct period) as months,
           sum(amount) filter (counted) as amount,
           min(period) as first_period,
           max(period) as last_period
    from paid_while_employed
    group by id_number
)

select p.id_number as subject_key,
       p.row_key as payment_key,
       p.counted as improper,
       '财政供养人员名单显示其在' || r.records || '，在编期间领取' || $benefit_text
           || fw_period_span(s.first_period, s.last_period) || '共' || s.months || '个月，合计' || fw_yuan(s.amount)
           as evidence
from paid_while_employed as p
join per_person as s using (id_number)
join records as r using (id_number)
