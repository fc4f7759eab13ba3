-- tipoff_persons: per tip-off, the one recipient it names (匹配方式 身份证号 or 身份信息) or why it names
-- nobody (未匹配). Grain: one row per 信访编号. Reads tipoffs, tipoff_matches (fundwatch.linkage.
-- match_tipoffs: name and full number, or name, the digits a partial number shows and the county),
-- link_tipoffs_left (the tip-offs as the linkage read them: number made half-width, place as a county)
-- and recipients.
--
-- A full number that agrees comes first; a partial number links only when it shows a digit beyond the
-- address code ($min_digits_beyond_address), else it says no more than the place; two recipients
-- matched equally leave the tip-off unmatched (the team decides, not the data).

with tips as (
    select tip_id, received_date, name, id_number as given_id, place, category
    from tipoffs
    qualify row_number() over (partition by tip_id order by row_key) = 1
),

read_as as (
    select unique_id as tip_id, id_number as read_id, county
    from link_tipoffs_left
),

usable as (
    select m.*
    from tipoff_matches as m
    join read_as as r using (tip_id)
    where m.match_kind = '身份证号'
       or fw_partial_id_digits(substr(r.read_id, 7)) >= $min_digits_beyond_address
),

ranked as (
    select tip_id,
           count(distinct id_number) filter (match_kind = '身份证号') as by_number,
           count(distinct id_number) as candidates,
           arg_max(id_number, (match_kind = '身份证号', probability)) as id_number,
           arg_max(match_kind, (match_kind = '身份证号', probability)) as match_kind,
           max(probability) as probability,
           arg_max(agreeing_fields, (match_kind = '身份证号', probability)) as agreeing_fields
    from usable
    group by tip_id
),

resolved as (
    select *
    from ranked
    where by_number = 1 or (by_number = 0 and candidates = 1)
)

select t.tip_id, t.received_date, t.name, t.given_id, t.place, t.category,
       coalesce(r.match_kind, '未匹配') as match_kind,
       r.id_number,
       r.probability,
       r.agreeing_fields,
       case when r.tip_id is not null then null
            when k.candidates > 1 then '姓名和身份证号（显示的各位）与' || k.candidates || '名领取人员一致，无法确定是哪一人'
            when a.read_id is not null and length(a.read_id) = 18 and not contains(a.read_id, '*')
                 and exists (select 1 from recipients as p where p.id_number = a.read_id)
                then '身份证号与领取人员一致，但姓名不一致'
            when a.read_id is null then '未提供身份证号，仅凭姓名' || case when t.place is not null then '和所在地' else '' end
                                        || '不能确定身份'
            when contains(a.read_id, '*') and fw_partial_id_digits(substr(a.read_id, 7)) < $min_digits_beyond_address
                then '身份证号只显示地址码，仅凭姓名和所在地不能确定身份'
            when contains(a.read_id, '*') and a.county is null then '所在地不是本次数据的县区，部分身份证号不能确定身份'
            else '本次数据中没有姓名和身份证号（显示的各位）' || case when contains(a.read_id, '*') then '及所在县区' else '' end
                 || '均一致的领取人员' end as unmatched_reason
from tips as t
left join resolved as r using (tip_id)
left join ranked as k using (tip_id)
left join read_as as a using (tip_id)
order by t.tip_id
