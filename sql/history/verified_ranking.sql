-- verified_ranking (测评排名 on verified results): once the history holds verdicts, counties are ranked
-- by what verification found rather than by raw clue rates (which reward a county whose reference
-- lists are thin: fewer lists, fewer clues). The attention a county's results call for is the mean
-- of 属实率 (the share of its verified clues that were true), 1 - 追回率 (what is still to recover) and
-- 1 - 整改率 (true clues without rectification recorded); a rate with nothing to measure (no true
-- clue, nothing to recover) counts as nothing outstanding. Rank 1 calls for the most attention;
-- counties without a verdict follow, by code. Grain: one row per county of rectification.

select county,
       confirmed_share,
       recovery_rate,
       rectification_rate,
       case when verified > 0
            then round((coalesce(confirmed_share, 0) + (1 - coalesce(recovery_rate, 1))
                        + (1 - coalesce(rectification_rate, 1))) / 3, 4) end as attention,
       row_number() over (order by verified = 0,
                                   (coalesce(confirmed_share, 0) + (1 - coalesce(recovery_rate, 1))
                                    + (1 - coalesce(rectification_rate, 1))) desc,
                                   county) as verified_rank,
       case when verified > 0 then '核查结果' else '未核查' end as basis
from rectification
order by verified_rank
