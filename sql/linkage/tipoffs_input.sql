-- Tip-offs as identity records (left side of the tipoffs purpose). Grain: one row per tip-off of
-- tipoff_rows (tip_id, name, id_number, place). The ID number is kept as given (often partial:
-- 330102********1234, or empty), made half-width and upper-case; the place is a county of the run
-- when it is a 6-digit code or names one (上城区, 上城), else null.

with tips as (
    select tip_id,
           nullif(trim(name), '') as name,
           nullif(upper(translate(replace(replace(coalesce(id_number, ''), ' ', ''), chr(12288), ''),
                                  '０１２３４５６７８９ｘＸ＊', '0123456789XX*')), '') as id_number,
           nullif(trim(place), '') as place
    from tipoff_rows
),

run_counties as (
    select distinct region_code as code from recipients
),

county_names as (
    select distinct d.code, d.name
    from division_codes as d
    join run_counties as c using (code)
),

placed as (
    select t.*,
           case when regexp_full_match(coalesce(t.place, ''), '[0-9]{6}') then t.place
                else (select min(c.code) from county_names as c
                      where t.place = c.name or (length(t.place) >= 2 and starts_with(c.name, t.place))
                         or contains(t.place, c.name)) end as county
    from tips as t
)

select p.tip_id as unique_id,
       case when p.id_number is not null and length(p.id_number) = 18 then p.id_number
            when p.id_number is not null and regexp_full_match(p.id_number, '[0-9]{15}') then fw_id_candidate(p.id_number)
            end as id_number,
       fw_id_problem(p.id_number) is null as id_valid,
       p.name,
       n.name_simplified,
       n.name_pinyin,
       null::date as birth_date,
       null::varchar as gender,
       null::varchar as id_region,
       p.county,
       null::varchar[] as bank_accounts,
       null::varchar[] as person_ids,
       null::varchar as bank_account_key,
       null::varchar as person_id_key,
       null::varchar as id_head5,
       null::varchar as id_head14,
       null::varchar as id_tail11
from placed as p
left join name_keys as n using (name)
