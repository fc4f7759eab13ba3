-- tipoff_clues: the clues of this list about the person a tip-off names. Grain: one row per tip-off and
-- clue. A clue is about the person when its subject is the person's number (人员 clues), or when
-- payments under that number are behind it (the other number of a P04 case, a shared account A01, a
-- self-approval A03 ...): `about_person` marks the first kind, which are raised one 风险等级.

with named as (
    select tip_id, id_number
    from tipoff_persons
    where id_number is not null
),

by_subject as (
    select n.tip_id, c.clue_id
    from named as n
    join clues as c on c.subject_type = '人员' and c.id_number = n.id_number
),

by_payments as (
    select distinct n.tip_id, e.clue_id
    from named as n
    join payments as p on p.id_number = n.id_number
    join clue_evidence as e on e.row_key = p.row_key
)

select tip_id, clue_id, c.subject_type = '人员' as about_person
from (select * from by_subject union select * from by_payments)
join clues as c using (clue_id)
order by tip_id, clue_id
