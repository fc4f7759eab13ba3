-- county_ranking (测评排名): one row per county of a city run, comparing counties by rates per
-- 10,000 recipients rather than raw counts. A cross-county clue counts for every county it names;
-- the improper amount is the sum of distinct payments any clue counts as improper, by the county
-- that paid them (so a payment flagged by two rules is counted once).

with recipient_counts as (
    select region_code as county, count(distinct id_number) as recipients
    from recipients
    group by region_code
),

payment_counts as (
    select region_code as county, count(*) as payments
    from payments
    group by region_code
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

improper_payments as (
    select distinct p.row_key, p.region_code as county, p.amount
    from clue_hits as h
    join payments as p on p.row_key = h.payment_key
    where h.improper
),

improper_amounts as (
    select county, sum(amount) as improper_amount
    from improper_payments
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
           k.rule_clues
    from counties as c
    left join recipient_counts as r using (county)
    left join payment_counts as p using (county)
    left join clue_totals as t using (county)
    left join clue_counts as k using (county)
    left join improper_amounts as a using (county)
)

select rank() over (order by clues_per_10k desc, amount_per_10k desc, county) as rank,
       *
from (
    select *,
           round(clues * 10000.0 / nullif(recipients, 0), 2) as clues_per_10k,
           round(improper_amount * 10000.0 / nullif(recipients, 0), 2)::decimal(18, 2) as amount_per_10k
    from measures
)
