-- D02 疑似死亡后继续领取（身份信息不一致）
-- A death record whose id_number matches no recipient exactly (an exact match is D01's) that identity
-- resolution links to a recipient (identity_links, purpose 'deaths'): the same name, an ID number
-- that differs by a typo ($id_differences: a wrong check digit, one digit, two adjacent digits
-- swapped), a match probability of at least $min_probability; the recipient is paid for periods
-- after the death month (net of reversals and payments not received; death one-offs and survivor
-- benefits are legitimate). A death record linked to two recipients equally well links to neither.

with links as (
    select left_id_number as death_id_number,
           left_name as death_name,
           right_id_number as id_number,
           match_probability,
           agreeing_fields,
           id_difference
    from identity_links
    where purpose = 'deaths'
      and match_probability >= $min_probability
      and list_contains($id_differences, id_difference_kind)
      and list_contains($name_levels, levels['name'])
),

unambiguous as (   -- the best recipient of each death record, when it is the only one that good
    select *
    from links
    qualify count(*) over (partition by death_id_number, death_name) = 1
),

recipients_with_exact_death as (
    select distinct d.id_number from deaths as d join recipients as r using (id_number)
),

linked_deaths as (
    select u.id_number,
           min(d.death_date) as death_date,
           arg_min(u.death_id_number, (d.death_date, u.death_id_number)) as death_id_number,
           arg_min(u.id_difference, (d.death_date, u.death_id_number)) as id_difference,
           arg_min(u.agreeing_fields, (d.death_date, u.death_id_number)) as agreeing_fields,
           arg_min(u.match_probability, (d.death_date, u.death_id_number)) as match_probability,
           string_agg(distinct coalesce(d.source, '未注明来源') || fw_day(d.death_date), '、'
                      order by coalesce(d.source, '未注明来源') || fw_day(d.death_date)) as reports
    from unambiguous as u
    join deaths as d on d.id_number = u.death_id_number and d.name = u.death_name
    where not exists (select 1 from recipients_with_exact_death as e where e.id_number = u.id_number)
    group by u.id_number
),

paid_after_death as (
    select p.row_key, p.id_number, p.period, p.amount, p.counted, d.*  exclude (id_number)
    from paid_payments as p
    join linked_deaths as d using (id_number)
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
       '死亡人员信息中身份证号' || a.death_id_number || '的记录（' || a.reports || '）与本人号码相比' || a.id_difference
           || '，' || a.agreeing_fields || '一致，身份识别匹配概率' || printf('%.3f', a.match_probability)
           || '，疑为同一人；死亡次月起仍发放' || fw_period_span(s.first_period, s.last_period) || '所属期待遇'
           || s.months_after_death || '个月，合计' || fw_yuan(s.amount_after_death) as evidence
from paid_after_death as a
join per_person as s using (id_number)
where s.amount_after_death > 0
