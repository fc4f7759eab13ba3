-- S02 死亡后恢复发放或补发
-- An operation dated after the month of the person's earliest known death date that is 恢复发放,
-- or 补发 followed by payments for periods after the death month. Arrears for months the person was
-- alive, paid to the estate after the death, are lawful: a 补发 followed only by those is no clue.
-- Subject: the operator (经办人) of the operation. Counted: the person's payments for periods after
-- the death month paid on or after the day of the operation (death one-offs and survivor benefits
-- left out, as in D01), net of reversals and payments not received. A 恢复发放 with no payment after
-- it is still a clue (涉及笔数 0).

with death_reports as (
    select id_number, death_date, coalesce(source, '未注明来源') as source
    from deaths
),

earliest_death as (
    select id_number,
           min(death_date) as death_date,
           string_agg(distinct source || fw_day(death_date), '、' order by source || fw_day(death_date)) as reports
    from death_reports
    group by id_number
),

after_death_ops as (
    select o.row_key as op_key, o.op_time, o.op_type, o.id_number, o.operator_id, o.reviewer_id, o.months,
           d.death_date, d.reports
    from operations as o
    join earliest_death as d using (id_number)
    where o.op_type in ('恢复发放', '补发')
      and fw_period_of(o.op_time) > fw_period_of(d.death_date)
),

followed as (
    select a.op_key, a.operator_id, p.row_key, p.id_number, p.period, p.amount, p.counted
    from after_death_ops as a
    join paid_payments as p
        on p.id_number = a.id_number
        and p.group_paid
        and p.period > fw_period_of(a.death_date)
        and p.pay_date >= a.op_time::date
        and not list_contains($legitimate_after_death, coalesce(p.benefit_category, ''))
),

flagged_ops as (
    select a.*
    from after_death_ops as a
    where a.op_type = '恢复发放'
       or exists (select 1 from followed as f where f.op_key = a.op_key)
),

person_names as (
    select id_number, min(name) as name
    from (select id_number, name from recipients
          union all
          select id_number, name from payments)
    where id_number in (select id_number from flagged_ops)
    group by id_number
),

op_texts as (
    select f.operator_id,
           coalesce(n.name, '（姓名不详）') || '（死亡日期' || fw_day(f.death_date) || '，' || f.reports || '）于'
               || strftime(f.op_time, '%Y-%m-%d %H:%M') || '被办理' || f.op_type
               || case when f.op_type = '补发' and f.months is not null then f.months || '个月' else '' end
               || '（审核人' || coalesce(f.reviewer_id, '未记录') || '）' as op_text
    from flagged_ops as f
    left join person_names as n using (id_number)
),

operator_payments as (
    select distinct f.operator_id, f.row_key, f.id_number, f.period, f.amount, f.counted
    from followed as f
    where f.op_key in (select op_key from flagged_ops)
),

per_operator as (
    select t.operator_id,
           string_agg(distinct t.op_text, '；' order by t.op_text) as ops,
           count(distinct t.op_text) as op_count,
           (select count(distinct (p.id_number, p.period)) from operator_payments as p
            where p.operator_id = t.operator_id) as months,
           (select coalesce(sum(p.amount) filter (p.counted), 0) from operator_payments as p
            where p.operator_id = t.operator_id) as amount
    from op_texts as t
    group by t.operator_id
)

select s.operator_id as subject_key,
       p.row_key as payment_key,
       coalesce(p.counted, false) as improper,
       '经办人' || s.operator_id || '在死亡月份之后办理恢复发放或补发' || s.op_count || '次：' || s.ops
           || '；此后发放死亡次月起的待遇' || s.months || '个月，合计' || fw_yuan(s.amount) as evidence
from per_operator as s
left join operator_payments as p using (operator_id)
