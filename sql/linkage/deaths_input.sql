-- Death records as identity records (left side of the deaths purpose): only those whose id_number
-- matches no recipient and no payment exactly (an exact match is D01's; identity resolution never
-- replaces it). Grain: one row per distinct id_number and name. A death record carries no birth
-- date or gender of its own: they are the ones its ID number shows (null when it cannot show them).

with unmatched as (
    select d.id_number, d.name, bool_or(d.id_valid) as id_valid
    from deaths as d
    where not exists (select 1 from recipients as r where r.id_number = d.id_number)
      and not exists (select 1 from payments as p where p.id_number = d.id_number)
    group by d.id_number, d.name
)

select u.id_number || '|' || u.name as unique_id,
       u.id_number,
       u.id_valid,
       u.name,
       n.name_simplified,
       n.name_pinyin,
       case when length(u.id_number) in (17, 18) then fw_id_birth_date(u.id_number) end as birth_date,
       case when length(u.id_number) in (17, 18) and regexp_full_match(substr(u.id_number, 17, 1), '[0-9]')
            then fw_id_gender(u.id_number) end as gender,
       case when regexp_full_match(substr(u.id_number, 1, 6), '[0-9]{6}') then substr(u.id_number, 1, 6) end as id_region,
       null::varchar as county,
       null::varchar[] as bank_accounts,
       null::varchar[] as person_ids,
       null::varchar as bank_account_key,
       null::varchar as person_id_key,
       substr(u.id_number, 1, 5) as id_head5,
       case when length(u.id_number) >= 14 then substr(u.id_number, 1, 14) end as id_head14,
       case when length(u.id_number) >= 17 then substr(u.id_number, 7, 11) end as id_tail11
from unmatched as u
left join name_keys as n using (name)
