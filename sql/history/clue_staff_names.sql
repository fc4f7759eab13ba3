-- With a staff list (经办人员信息), the names of the staff in clue_staff too: a 核查人 may be written
-- by name rather than by 工号.

select distinct c.clue_id, s.name as staff, c.role
from clue_staff as c
join staff as s on s.operator_id = c.staff
where s.name is not null
