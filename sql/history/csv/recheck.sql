-- recheck.csv (抽查复核): the clues verified 不属实 drawn for re-checking.
select clue_id as "线索编号", rule_id as "规则编号", clue_type as "线索类型", region_code as "行政区划代码",
       subject_type as "对象类型", fw_cell(id_number) as "公民身份号码", fw_cell(name) as "姓名",
       case when in_run then '是' else '否' end as "本次数据仍发现",
       '不属实' as "原核查状态", fw_cell(finding) as "原核查结果", fw_cell(verifier) as "原核查人",
       fw_cell(signed_off_by) as "销号人", strftime(signed_off_on, '%Y-%m-%d') as "销号日期",
       '不属实线索' || population || '条，抽取' || sample_size || '条（第' || draw_rank || '条）' as "抽查说明"
from recheck
order by draw_rank
