-- clues: the clue list, one row per rule and subject, from every rule's hits (clue_hits), with the
-- payments behind each clue in clue_evidence. $county is the run's county ('' for a city-level
-- list); it keeps county-level clue IDs of the same subject distinct between counties.

with per_subject as (
    select rule_key,
           any_value(rule_id) as rule_id,
           subject_key,
           any_value(evidence) as evidence,
           count(row_key) as payment_count,
           coalesce(sum(amount) filter (improper), 0)::decimal(18, 2) as amount,
           min(period) as period_start,
           max(period) as period_end,
           string_agg(distinct scheme, ';' order by scheme) as schemes,
           string_agg(distinct region_code, ';' order by region_code) as regions,
           string_agg(distinct county, ';' order by county) as counties,
           -- the subject's own payments first (P04 lists another number's payments beside them)
           arg_min(person_id, (id_number is distinct from subject_key, period, row_key)) as person_id,
           arg_min(name, (id_number is distinct from subject_key, period, row_key)) as name
    from clue_evidence_rows
    group by rule_key, subject_key
),

recipient_facts as (
    select id_number,
           arg_min(person_id, row_key) as person_id,
           arg_min(name, row_key) as name,
           string_agg(distinct scheme, ';' order by scheme) as schemes,
           string_agg(distinct region_code, ';' order by region_code) as regions
    from recipients
    group by id_number
),

-- a staff member's counties, from the operations they did: the county of an S-rule clue with no
-- payment behind it (a 恢复发放 after a death that nothing followed)
staff_facts as (
    select operator_id, string_agg(distinct county, ';' order by county) as counties
    from operations
    group by operator_id
),

placed as (
    select s.* replace (coalesce(s.counties, case when c.subject = '经办人' then f.counties end) as counties,
                        coalesce(s.regions, case when c.subject = '经办人' then f.counties end) as regions)
    from per_subject as s
    join rule_catalogue as c using (rule_key)
    left join staff_facts as f on f.operator_id = s.subject_key
),

scored as (
    select s.*, c.title, c.severity, c.subject, c.scope, c.policy, c.suggestion,
           -- the county in the clue ID: the run's county; in a city-wide run of a county rule the one
           -- county of the clue's payments (the same ID as that county's own run gives), else none
           case when c.scope = 'city' then ''
                when $county <> '' then $county
                when s.counties is not null and not contains(s.counties, ';') then s.counties
                else '' end as id_county
    from placed as s
    join rule_catalogue as c using (rule_key)
)

select s.rule_id || '-' || upper(left(md5(s.rule_id || '|' || s.id_county || '|' || s.subject_key), 12)) as clue_id,
       s.rule_id,
       s.rule_key,
       s.subject_key,
       s.title as clue_type,
       s.severity,
       coalesce(s.regions, r.regions, nullif($county, '')) as region_code,
       s.subject as subject_type,
       case when s.subject = '人员' then coalesce(s.person_id, r.person_id) end as person_id,
       case when s.subject = '人员' then s.subject_key end as id_number,
       case when s.subject = '人员' then coalesce(s.name, r.name) else s.subject_key end as name,
       coalesce(s.schemes, case when s.subject = '人员' then r.schemes end) as scheme,
       s.period_start,
       s.period_end,
       s.payment_count,
       s.amount,
       sc.score,
       s.evidence,
       s.policy as policy_basis,
       s.suggestion,
       null::varchar as status,           -- 核查状态, 核查结果, 整改情况, 追回金额: filled from the
       null::varchar as finding,          -- history database when the run has one, else by the team
       null::varchar as rectification,
       null::decimal(18, 2) as recovered_amount,
       null::varchar as change            -- 新增 / 持续 against the previous run (history)
from scored as s
left join recipient_facts as r on s.subject = '人员' and r.id_number = s.subject_key
left join (select id_number, max(score) as score from scores group by id_number) as sc on s.subject = '人员' and sc.id_number = s.subject_key
