-- overdue.csv (逾期未销号): clues past their 核查期限 and not signed off.
select clue_id as "线索编号", rule_id as "规则编号", clue_type as "线索类型", region_code as "行政区划代码",
       subject_type as "对象类型", fw_cell(verifier) as "核查人", strftime(deadline, '%Y-%m-%d') as "核查期限",
       days_overdue as "逾期天数", coalesce(status, '') as "核查状态",
       case when in_run then '是' else '否' end as "本次数据仍发现"
from overdue
order by deadline, clue_id
