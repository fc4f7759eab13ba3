-- A clue about a person named in a tip-off says so in 疑点描述 (信访编号) and is raised one 风险等级
-- (低 -> 中, 中 -> 高), never above its rule's cap ($cap_rules / $cap_levels: D02 stays at most 中).
-- Idempotent: every clue first goes back to its rule's severity and loses an earlier note, so a city
-- list built from county lists that were raised already is raised once, on the city's matches.

update clues
set severity = r.severity,
    evidence = regexp_replace(clues.evidence, '（信访举报反映该人员：信访编号[^）]*）$', '')
from rule_catalogue as r
where r.rule_key = clues.rule_key
  and (clues.severity <> r.severity or clues.evidence like '%（信访举报反映该人员：信访编号%');

update clues
set severity = ['高', '中', '低'][least(base_rank, greatest(base_rank - 1, cap_rank)) + 1],
    evidence = clues.evidence || '（信访举报反映该人员：信访编号' || t.tip_ids || '）'
from (
    select k.clue_id,
           string_agg(distinct k.tip_id, '、' order by k.tip_id) as tip_ids,
           any_value(list_position(['高', '中', '低'], c.severity) - 1) as base_rank,
           any_value(coalesce(list_position(['高', '中', '低'],
                                            $cap_levels[list_position($cap_rules, c.rule_id)]) - 1, 0)) as cap_rank
    from tipoff_clues as k
    join clues as c using (clue_id)
    where k.about_person
    group by k.clue_id
) as t
where clues.clue_id = t.clue_id;
