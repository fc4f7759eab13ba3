-- rectification (整改成效): per county, what the teams verified and recovered, from the newest
-- feedback of every clue this scope has ever raised. 属实率 counts 属实 and 部分属实 among verified
-- clues; 整改率 is the share of true clues whose rectification (整改情况) has been recorded.

with scope_clues as (
    select distinct clue_id, region_code
    from h.history_clues
    where scope = (select scope from run_scope)
    union
    select clue_id, region_code from clues
),

verified as (
    select unnest(string_split(c.region_code, ';')) as county, f.*
    from latest_feedback as f
    join scope_clues as c using (clue_id)
)

select county,
       count(*) filter (status in ('属实', '部分属实', '不属实')) as verified,
       count(*) filter (status in ('属实', '部分属实')) as confirmed,
       round(count(*) filter (status in ('属实', '部分属实')) * 1.0
             / nullif(count(*) filter (status in ('属实', '部分属实', '不属实')), 0), 4) as confirmed_share,
       coalesce(sum(recovered_amount), 0)::decimal(18, 2) as recovered_amount,
       round(count(*) filter (status in ('属实', '部分属实') and coalesce(trim(rectification), '') <> '') * 1.0
             / nullif(count(*) filter (status in ('属实', '部分属实')), 0), 4) as rectification_rate
from verified
group by county
order by county
