-- clue_evidence: one row per clue and payment behind it, traced to its source file and line, with
-- what the clue's amount makes of it: counted (part of the clue's 涉及金额) and the rule's
-- amount_kind (improper: 问题金额; exposure: to verify). Totals count each payment once from here.

select c.clue_id, e.payment_id, e.source_file, e.source_line, e.row_key,
       e.county, e.amount, e.improper as counted, r.amount_kind
from clue_evidence_rows as e
join clues as c on c.rule_key = e.rule_key and c.subject_key = e.subject_key
join rule_catalogue as r on r.rule_key = e.rule_key
where e.row_key is not null
