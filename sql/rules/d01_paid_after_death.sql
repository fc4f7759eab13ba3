-- D01 死亡后继续领取待遇
-- One row per payment whose period is after the month of the person's earliest known death date.
-- The death month itself is payable; one-off benefits paid because of the death are legitimate.

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
           d.death_date,
           d.reports
    from payments as p
    join earliest_death as d using (id_number)
    where p.period > fw_period_of(d.death_date)
      and not list_contains($death_one_off_benefits, p.benefit_type)
),

per_person as (
    select id_number,
           count(*) as payments_after_death,
           sum(amount) as amount_after_death,
           min(period) as first_period,
           max(period) as last_period
    from paid_after_death
    group by id_number
)

select a.id_number as subject_key,
       a.row_key as payment_key,
       true as improper,
       '死亡日期' || fw_day(a.death_date) || '（' || a.reports || '，取最早日期），死亡次月起仍发放'
           || fw_period_span(s.first_period, s.last_period) || '所属期待遇' || s.payments_after_death || '笔，合计'
           || fw_yuan(s.amount_after_death) as evidence
from paid_after_death as a
join per_person as s using (id_number)
