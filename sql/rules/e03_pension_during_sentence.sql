-- E03 服刑期间领取养老金
-- A paid pension (the pension category of 110/120/170; back pay excluded) whose period is strictly
-- after the month the sentence started and strictly before the month it ended (or the sentence is
-- still running). Counted: net of reversals and payments not received.

with sentences as (
    select id_number,
           sentence_start,
           sentence_end,
           fw_period_of(sentence_start) as start_period,
           coalesce(fw_period_of(sentence_end), 999912) as end_period
    from prisoners
),

paid_in_prison as (
    select p.row_key, p.id_number, p.period, p.amount, p.counted
    from paid_payments as p
    where p.group_paid
      and p.benefit_category = 'pension'
      and list_contains($pension_schemes, p.scheme)
      and p.id_number in (select id_number from sentences)
      and exists (select 1 from sentences as s
                  where s.id_number = p.id_number and p.period > s.start_period and p.period < s.end_period)
),

sentence_texts as (
    select s.id_number,
           string_agg(distinct s.sentence_text, '；' order by s.sentence_text) as sentence_text
    from (select *, fw_day(sentence_start) || '起服刑'
                    || case when sentence_end is null then '（至今未释放）' else '至' || fw_day(sentence_end) end
                    as sentence_text
          from sentences) as s
    where exists (select 1 from paid_in_prison as p
                  where p.id_number = s.id_number and p.period > s.start_period and p.period < s.end_period)
    group by s.id_number
),

per_person as (
    select id_number,
           count(distinct period) as months,
           sum(amount) filter (counted) as amount,
           min(period) as first_period,
           max(period) as last_period
    from paid_in_prison
    group by id_number
)

select i.id_number as subject_key,
       i.row_key as payment_key,
       i.counted as improper,
       '服刑人员名单显示其' || t.sentence_text || '，服刑期间仍发放基本养老金'
           || fw_period_span(s.first_period, s.last_period) || '共' || s.months || '个月，合计' || fw_yuan(s.amount)
           as evidence
from paid_in_prison as i
join per_person as s using (id_number)
join sentence_texts as t using (id_number)
