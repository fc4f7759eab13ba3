-- E05 违规领取失业保险金
-- 失业保险金 paid (a) for more distinct periods than contribution_months allow (<60 → 12,
-- 60–119 → 18, ≥120 → 24 months), (b) for a period with an employment record, (c) for a period with a
-- paid pension. Everything is net of reversals and payments not received. Evidence: every paid
-- 失业保险金 payment of the person and, for (c), the pensions of those periods; counted: the
-- 失业保险金 beyond the allowed months (a) and of (b) or (c).

with benefit_payments as (
    select row_key, id_number, period, amount, counted
    from paid_payments
    where group_paid and scheme = '210' and benefit_category = 'unemployment'
),

allowed as (
    select id_number,
           max(contribution_months) as contribution_months,
           case when max(contribution_months) < 60 then $months_under_5_years
                when max(contribution_months) < 120 then $months_5_to_10_years
                else $months_10_years_or_more end as allowed_months
    from recipients
    where scheme = '210' and contribution_months is not null
    group by id_number
),

benefit_months as (
    select id_number, period, dense_rank() over (partition by id_number order by period) as month_number
    from (select distinct id_number, period from benefit_payments)
),

employed_periods as (
    select distinct id_number, period from employment
),

pension_periods as (   -- of the people paid 失业保险金 only
    select distinct id_number, period
    from paid_payments
    where group_paid and benefit_category = 'pension' and list_contains($pension_schemes, scheme)
      and id_number in (select id_number from benefit_payments)
),

flagged as (
    select b.row_key, b.id_number, b.period, b.amount, b.counted,
           a.contribution_months, a.allowed_months,
           coalesce(m.month_number > a.allowed_months, false) as beyond_allowed,
           e.period is not null as while_employed,
           r.period is not null as with_pension
    from benefit_payments as b
    join benefit_months as m using (id_number, period)
    left join allowed as a using (id_number)
    left join employed_periods as e using (id_number, period)
    left join pension_periods as r using (id_number, period)
),

per_person as (
    select id_number,
           count(distinct period) as months_paid,
           any_value(contribution_months) as contribution_months,
           any_value(allowed_months) as allowed_months,
           count(distinct period) filter (beyond_allowed) as beyond_months,
           count(distinct period) filter (while_employed) as employed_months,
           string_agg(distinct period::varchar, '、' order by period::varchar) filter (while_employed) as employed_list,
           count(distinct period) filter (with_pension) as pension_months,
           string_agg(distinct period::varchar, '、' order by period::varchar) filter (with_pension) as pension_list,
           sum(amount) filter (counted and (beyond_allowed or while_employed or with_pension)) as improper_amount
    from flagged
    group by id_number
    having count(*) filter (beyond_allowed or while_employed or with_pension) > 0
),

evidence_rows as (
    select id_number, row_key, counted and (beyond_allowed or while_employed or with_pension) as improper
    from flagged
    union all
    -- (c): the pensions paid for those periods are evidence too (in a city-wide run, maybe another county's)
    select p.id_number, p.row_key, false
    from paid_payments as p
    where p.group_paid and p.benefit_category = 'pension' and list_contains($pension_schemes, p.scheme)
      and exists (select 1 from flagged as f where f.with_pension and f.id_number = p.id_number and f.period = p.period)
)

select e.id_number as subject_key,
       e.row_key as payment_key,
       e.improper,
       concat_ws('；',
           case when s.beyond_months > 0 then '(a)累计缴费' || s.contribution_months || '个月，最长可领'
                || s.allowed_months || '个月，实际领取' || s.months_paid || '个月，超期' || s.beyond_months || '个月' end,
           case when s.employed_months > 0 then '(b)' || s.employed_list || '有就业参保缴费记录，同期领取失业保险金'
                || s.employed_months || '个月' end,
           case when s.pension_months > 0 then '(c)' || s.pension_list || '已领取基本养老金，同期领取失业保险金'
                || s.pension_months || '个月' end)
           || '；违规领取合计' || fw_yuan(s.improper_amount) as evidence
from evidence_rows as e
join per_person as s using (id_number)
