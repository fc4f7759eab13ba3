-- D01 死亡后继续领取待遇
-- Every payment of a paid group (net of reversals and payments not received) whose period is after
-- the month of the person's earliest known death date. The death month itself is payable; death
-- one-offs and survivor benefits are paid because of the death and are legitimate.

with death_reports as (
    select id_number,
           death_date,
           coalesce(source, '未注明来源') as source
    from deaths
),

earliest_death as (
    select id_number,
           min(death_date) as death_date,
           string_agg(distinct source || fw_day(death_date), '、' order by source || fw_day(death_date)) as reports
    from death_reports
    group by id_number
),

paid_after_death as (
    select p.row_key,
           p.id_number,
           p.period,
           p.amount,
           p.counted,
           d.death_date,
           d.reports
    from paid_payments as p
    join earliest_death as d using (id_number)
    where p.group_paid
      and p.period > fw_period_of(d.death_date)
      and not list_contains($legitimate_after_death, coalesce(p.benefit_category, ''))
),

per_person as (
    select id_number,
           count(distinct period) as months_after_death,
           sum(amount) filter (counted) as amount_after_death,
           min(period) as first_period,
           max(period) as last_period
    from paid_after_death
    group by id_number
)

select a.id_number as subject_key,
       a.row_key as payment_key,
       a.counted as improper,
       '死亡日期' || fw_day(a.death_date) || '（' || a.reports || '，取最早日期），死亡次月起仍发放'
           || fw_period_span(s.first_period, s.last_period) || '所属期待遇' || s.months_after_death || '个月，合计'
           || fw_yuan(s.amount_after_death) as evidence
from paid_after_death as a
join per_person as s using (id_number)
