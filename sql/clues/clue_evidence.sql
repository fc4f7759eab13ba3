-- clue_evidence: one row per clue and payment behind it, traced to its source file and line.

select c.clue_id, e.payment_id, e.source_file, e.source_line, e.row_key
from clue_evidence_rows as e
join clues as c on c.rule_key = e.rule_key and c.subject_key = e.subject_key
where e.row_key is not null
