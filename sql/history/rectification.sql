-- rectification (整改成效): per county, what the teams verified, recovered and signed off, from the
-- newest feedback of every clue this scope has ever raised (scope_clues). 属实率 counts 属实 and
-- 部分属实 among verified clues; 整改率 is the share of true clues whose 整改情况 is recorded.
-- 应追回 is the 应追回金额 the team gave, or for a true clue without one the clue's 涉及金额 (the data's
-- figure, until the team corrects it); 已追回 is 已追回金额, or the older column 追回金额 where that is
-- all the team filled in; 追回率 = 已追回 / 应追回. 销号率 = clues signed off / clues raised.

with per_clue as (
    select unnest(string_split(s.region_code, ';')) as county,
           s.clue_id,
           f.status,
           f.rectification,
           f.recovered_amount,
           case when f.status in ('属实', '部分属实') then coalesce(f.amount_due, s.amount)
                else f.amount_due end as amount_due,
           coalesce(f.amount_recovered, f.recovered_amount) as amount_recovered,
           f.signed_off_on is not null as signed_off,
           s.clue_id in (select clue_id from overdue) as overdue,
           s.clue_id in (select clue_id from recheck) as rechecked
    from scope_clues as s
    left join latest_feedback as f using (clue_id)
)

select county,
       count(*) as clues,
       count(*) filter (status in ('属实', '部分属实', '不属实')) as verified,
       count(*) filter (status in ('属实', '部分属实')) as confirmed,
       round(count(*) filter (status in ('属实', '部分属实')) * 1.0
             / nullif(count(*) filter (status in ('属实', '部分属实', '不属实')), 0), 4) as confirmed_share,
       coalesce(sum(recovered_amount), 0)::decimal(18, 2) as recovered_amount,
       round(count(*) filter (status in ('属实', '部分属实') and coalesce(trim(rectification), '') <> '') * 1.0
             / nullif(count(*) filter (status in ('属实', '部分属实')), 0), 4) as rectification_rate,
       coalesce(sum(amount_due), 0)::decimal(18, 2) as amount_due,
       coalesce(sum(amount_recovered), 0)::decimal(18, 2) as amount_recovered,
       round(sum(amount_recovered) / nullif(sum(amount_due), 0), 4)::double as recovery_rate,
       count(*) filter (signed_off) as signed_off,
       round(count(*) filter (signed_off) * 1.0 / count(*), 4) as signed_off_rate,
       count(*) filter (overdue) as overdue,
       count(*) filter (rechecked) as rechecked
from per_clue
group by county
order by county
