-- Every payment behind every rule's hits, with its source; one row per rule, subject and payment.

select h.rule_key,
       h.rule_id,
       h.subject_key,
       h.improper,
       h.evidence,
       p.row_key,
       p.payment_id,
       p.person_id,
       p.id_number,
       p.name,
       p.scheme,
       p.period,
       p.amount,
       p.region_code,
       p.county,
       p.source_file,
       p.source_line
from clue_hits as h
left join payments as p on p.row_key = h.payment_key
