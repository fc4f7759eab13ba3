-- clue_changes.csv: every clue of this run and the previous one of the scope, and how it changed.
select clue_id as "线索编号", rule_id as "规则编号", region_code as "行政区划代码", subject_type as "对象类型",
       change as "变化情况", last_status as "上次核查状态"
from clue_changes
order by change, clue_id
