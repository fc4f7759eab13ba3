-- tipoff_input: the tip-offs to match, one row per 信访编号 (the first row of a number given twice with
-- different contents; exact copies were already quarantined at load).

select tip_id, name, id_number, place
from tipoffs
qualify row_number() over (partition by tip_id order by row_key) = 1
