-- clue_staff: who handled the payments behind each clue of the list (经办 operator, 审核 reviewer),
-- and the staff member an 经办人 clue is about (对象). A 核查人 among them must step aside (回避).
-- Grain: one row per clue, person and role.

select distinct clue_id, staff, role
from (
    select e.clue_id, p.operator_id as staff, '经办' as role
    from clue_evidence as e
    join payments as p using (row_key)
    union all
    select e.clue_id, p.reviewer_id, '审核'
    from clue_evidence as e
    join payments as p using (row_key)
    union all
    select clue_id, subject_key, '对象'
    from clues
    where subject_type = '经办人'
)
where nullif(trim(staff), '') is not null
order by clue_id, role, staff
