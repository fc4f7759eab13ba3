-- recheck (抽查复核): a seeded random sample of the clues whose latest verdict is 不属实, for another
-- team to verify again: $share of them (at least $minimum when there are any), the clues ordered by
-- md5($seed || clue_id), so a clue drawn once stays drawn while the sample grows. Grain: one row per
-- clue drawn, with this run's facts where it is in this run's list (held back or not).

with untrue as (
    select s.*, f.finding, f.verifier, f.signed_off_by, f.signed_off_on, f.recorded_at,
           md5($seed || s.clue_id) as draw
    from scope_clues as s
    join latest_feedback as f using (clue_id)
    where f.status = '不属实'
),

drawn as (
    select *,
           row_number() over (order by draw, clue_id) as draw_rank,
           count(*) over () as population
    from untrue
)

select clue_id, rule_id, clue_type, region_code, subject_type, id_number, name, in_run,
       finding, verifier, signed_off_by, signed_off_on, recorded_at, draw_rank, population,
       greatest($minimum, ceil($share * population))::integer as sample_size
from drawn
where draw_rank <= greatest($minimum, ceil($share * population))
order by draw_rank
