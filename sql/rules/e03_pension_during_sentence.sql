-- E03 服刑期间领取养老金
-- A basic pension payment (110/120/170; back pay excluded) whose period is strictly after the month
-- the sentence started and strictly before the month it ended (or the sentence is still running).

with sentences as (
    select id_number,
           sentence_start,
           sentence_end,
           fw_period_of(sentence_start) as start_period,
           coalesce(fw_period_of(sentence_end), 999912) as end_period
    from prisoners
),

paid_in_prison as (
    select p.row_key, p.id_number, p.period, p.amount, s.sentence_start, s.sentence_end
    from payments as p
    join sentences as s
        on p.id_number = s.id_number and p.period > s.start_period and p.period < s.end_period
    where list_contains($pension_benefit_types, p.benefit_type)
      and list_contains($pension_schemes, p.scheme)
    qualify row_number() over (partition by p.row_key order by s.sentence_start) = 1
),

per_person as (
    select id_number,
           count(*) as payments,
           sum(amount) as amount,
           min(period) as first_period,
           max(period) as last_period,
           string_agg(distinct fw_day(sentence_start) || '起服刑'
                      || case when sentence_end is null then '（至今未释放）' else '至' || fw_day(sentence_end) end,
                      '；') as sentence_text
    from paid_in_prison
    group by id_number
)

select i.id_number as subject_key,
       i.row_key as payment_key,
       true as improper,
       '服刑人员名单显示其' || s.sentence_text || '，服刑期间仍发放基本养老金'
           || fw_period_span(s.first_period, s.last_period) || '共' || s.payments || '笔，合计' || fw_yuan(s.amount)
           as evidence
from paid_in_prison as i
join per_person as s using (id_number)
