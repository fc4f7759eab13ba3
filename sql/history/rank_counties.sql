-- county_ranking (sql/clues/county_ranking.sql) re-ranked on verified results once the history holds
-- verdicts (verified_ranking): the clue-rate rank is kept as clue_rate_rank, and the rates behind
-- the new rank are added.

alter table county_ranking add column if not exists clue_rate_rank bigint;
alter table county_ranking add column if not exists ranking_basis varchar;
alter table county_ranking add column if not exists confirmed_share double;
alter table county_ranking add column if not exists recovery_rate double;
alter table county_ranking add column if not exists rectification_rate double;
alter table county_ranking add column if not exists attention double;

update county_ranking
set clue_rate_rank = county_ranking.rank,
    rank = coalesce(v.verified_rank,
                    (select count(*) from verified_ranking)
                    + (select count(*) from county_ranking as o
                       where o.county not in (select county from verified_ranking) and o.county <= county_ranking.county)),
    ranking_basis = coalesce(v.basis, '未核查'),
    confirmed_share = v.confirmed_share,
    recovery_rate = v.recovery_rate,
    rectification_rate = v.rectification_rate,
    attention = v.attention
from (select c.county, r.verified_rank, r.basis, r.confirmed_share, r.recovery_rate, r.rectification_rate,
             r.attention
      from county_ranking as c
      left join verified_ranking as r using (county)) as v
where v.county = county_ranking.county;
