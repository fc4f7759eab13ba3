-- tipoff_report: 信访核查表 (CLUES.md, tipoffs.csv), one row per tip-off: how it matched, whom, what
-- the data shows about that person (every clue with its ID and facts, a death record, the months
-- paid) or that it shows nothing irregular, and the suggestion. The name is masked when written
-- (fundwatch.tipoffs); 数据核查情况 holds no name and no ID number.

with clue_facts as (
    select t.tip_id,
           string_agg(c.clue_type || '（' || c.clue_id
                      || case when c.period_start is not null
                              then '，所属期' || fw_period_span(c.period_start, c.period_end) else '' end
                      || '，' || c.payment_count || '笔，涉及金额' || fw_yuan(c.amount) || '）',
                      '；' order by case c.severity when '高' then 0 when '中' then 1 else 2 end, c.amount desc, c.clue_id)
               as facts,
           string_agg(c.clue_id, ';' order by c.clue_id) as clue_ids,
           count(*) as clues
    from tipoff_clues as t
    join clues as c using (clue_id)
    group by t.tip_id
),

paid as (
    select id_number,
           min(period) as first_period,
           max(period) as last_period,
           count(distinct period) as months,
           sum(amount) as amount
    from paid_payments
    where counted and group_paid
      and id_number in (select id_number from tipoff_persons)
    group by id_number
),

death as (
    select id_number, min(death_date) as death_date,
           string_agg(distinct coalesce(source, '未注明来源'), '、' order by coalesce(source, '未注明来源')) as sources
    from deaths
    where id_number in (select id_number from tipoff_persons)
    group by id_number
),

described as (
    select p.*,
           f.facts, f.clue_ids, coalesce(f.clues, 0) as clues,
           -- the agreeing fields, not splink's probability: the text stays the same for the same inputs in
           -- any row order (u is estimated on a random sample); matches.csv keeps the probability
           '匹配依据：' || coalesce(p.agreeing_fields, '') || '一致。' as basis,
           case when d.death_date is not null
                then '死亡人员信息记载其于' || fw_day(d.death_date) || '死亡（' || d.sources || '）。'
                else '' end as death_text,
           case when a.months is not null
                then '本次数据中该人员所属期' || fw_period_span(a.first_period, a.last_period)
                     || '领取待遇' || a.months || '个月，合计' || fw_yuan(a.amount)
                else '本次数据中该人员没有到账的待遇发放' end as paid_text
    from tipoff_persons as p
    left join clue_facts as f using (tip_id)
    left join paid as a using (id_number)
    left join death as d using (id_number)
)

select tip_id, received_date, name, given_id, category, match_kind, id_number, clues,
       case when match_kind = '未匹配' then '无法匹配：' || unmatched_reason || '。'
            when clues > 0 then basis || '数据印证：' || facts || '。' || death_text || paid_text || '。'
            else basis || '数据未见异常：' || paid_text || '，未发现疑点线索。' || death_text end as findings,
       clue_ids,
       case when match_kind = '未匹配' then '无法匹配，需人工核实'
            when clues > 0 then '数据印证'
            else '数据未见异常' end as suggestion
from described
order by tip_id
