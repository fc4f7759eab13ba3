-- E02 财政供养人员领取城乡居民养老金
-- A 170 payment for a period within a public_employees record: start_date (month) <= period and
-- end_date empty or its month >= period. A missing start_date bounds nothing.

with employed_months as (
    select id_number,
           coalesce(fw_period_of(start_date), 0) as first_period,
           coalesce(fw_period_of(end_date), 999912) as last_period,
           coalesce(unit_name, '单位未注明') as unit_name,
           start_date,
           end_date
    from public_employees
),

resident_payments_while_employed as (
    select p.row_key, p.id_number, p.period, p.amount,
           e.unit_name, e.start_date, e.end_date
    from payments as p
    join employed_months as e
        on p.id_number = e.id_number and p.period between e.first_period and e.last_period
    where p.scheme = '170'
    qualify row_number() over (partition by p.row_key order by e.first_period) = 1
),

per_person as (
    select id_number,
           count(*) as payments,
           sum(amount) as amount,
           min(period) as first_period,
           max(period) as last_period,
           string_agg(distinct unit_name || '（入编' || coalesce(fw_day(start_date), '日期未注明')
                      || case when end_date is null then '，至今在编' else '，' || fw_day(end_date) || '离职' end
                      || '）', '；') as records
    from resident_payments_while_employed
    group by id_number
)

select r.id_number as subject_key,
       r.row_key as payment_key,
       true as improper,
       '财政供养人员名单显示其在' || s.records || '，在编期间领取城乡居民养老保险待遇'
           || fw_period_span(s.first_period, s.last_period) || '共' || s.payments || '笔，合计' || fw_yuan(s.amount)
           as evidence
from resident_payments_while_employed as r
join per_person as s using (id_number)
