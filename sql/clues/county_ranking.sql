-- county_ranking (测评排名): one row per county of a city run, comparing counties by rates per
-- 10,000 recipients rather than raw counts. A cross-county clue counts for every county it names.
-- Amounts count each payment once, by the county that paid it, however many clues name it
-- (clue_evidence): 问题金额 (improper_amount) the payments counted by a rule that finds money
-- that should not have been paid; 涉及金额 (exposure_amount) the payments counted by any clue.
-- Management figures (management, sql/management/): 处置时效 — people, months and amount paid after
-- the death had reached the agency; S-rule clues; the share of the county's 问题金额 handled by its
-- busiest operator (经办), which shows whether losses concentrate on a few desks.

with recipient_counts as (
    select county, count(distinct id_number) as recipients
    from recipients
    group by county
),

payment_counts as (
    select county, count(*) as payments
    from payments
    group by county
),

clue_counties as (
    select rule_id, unnest(string_split(region_code, ';')) as county
    from clues
),

clue_counts as (
    select county, map_from_entries(list({'key': rule_id, 'value': rule_clues})) as rule_clues
    from (select county, rule_id, count(*) as rule_clues from clue_counties group by county, rule_id)
    group by county
),

clue_totals as (
    select county, count(*) as clues from clue_counties group by county
),

counted_payments as (
    select row_key, any_value(county) as county, any_value(amount) as amount,
           bool_or(amount_kind = 'improper') as improper
    from clue_evidence
    where counted
    group by row_key
),

amounts as (
    select county,
           coalesce(sum(amount) filter (improper), 0) as improper_amount,
           sum(amount) as exposure_amount
    from counted_payments
    group by county
),

management_figures as (
    select county,
           count(*) filter (part = 'late_stops') as late_stop_people,
           coalesce(sum(months) filter (part = 'late_stops'), 0) as late_stop_months,
           coalesce(sum(amount) filter (part = 'late_stops'), 0) as late_stop_amount,
           coalesce(sum(clue_count) filter (part = 'staff_clues'), 0) as staff_clues,
           max(amount) filter (part = 'desks' and stage = '经办') as top_operator_amount
    from (select unnest(string_split(coalesce(region_code, ''), ';')) as county, part, stage, months, amount,
                 clue_count
          from management)
    group by county
),

counties as (
    select county from recipient_counts
    union select county from payment_counts
    union select county from clue_totals
),

measures as (
    select c.county,
           coalesce(r.recipients, 0) as recipients,
           coalesce(p.payments, 0) as payments,
           coalesce(t.clues, 0) as clues,
           coalesce(a.improper_amount, 0)::decimal(18, 2) as improper_amount,
           coalesce(a.exposure_amount, 0)::decimal(18, 2) as exposure_amount,
           k.rule_clues,
           coalesce(m.late_stop_people, 0) as late_stop_people,
           coalesce(m.late_stop_months, 0) as late_stop_months,
           coalesce(m.late_stop_amount, 0)::decimal(18, 2) as late_stop_amount,
           coalesce(m.staff_clues, 0) as staff_clues,
           round(coalesce(m.top_operator_amount / nullif(a.improper_amount, 0), 0), 4)::double as top_operator_share
    from counties as c
    left join recipient_counts as r using (county)
    left join payment_counts as p using (county)
    left join clue_totals as t using (county)
    left join clue_counts as k using (county)
    left join amounts as a using (county)
    left join management_figures as m using (county)
)

select rank() over (order by clues_per_10k desc, amount_per_10k desc, county) as rank,
       *
from (
    select *,
           round(clues * 10000.0 / nullif(recipients, 0), 2) as clues_per_10k,
           round(improper_amount * 10000.0 / nullif(recipients, 0), 2)::decimal(18, 2) as amount_per_10k
    from measures
)
