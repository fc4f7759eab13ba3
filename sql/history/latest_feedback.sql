-- latest_feedback: the newest version of every clue's verification result.

select *
from h.feedback
qualify row_number() over (partition by clue_id order by version desc) = 1
