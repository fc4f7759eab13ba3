-- name_keys: every name the linkage compares, with its simplified form and its toneless pinyin.
-- Grain: one row per distinct name. name_chars (one row per distinct character, from OpenCC and
-- pypinyin, built by fundwatch.linkage) gives each character's forms; a name is put back together
-- from them in order. A character neither library knows is kept as it is.

with characters as (
    select name,
           unnest(string_split(name, '')) as ch,
           generate_subscripts(string_split(name, ''), 1) as position
    from linkage_names
)

select c.name,
       string_agg(coalesce(k.simplified, c.ch), '' order by c.position) as name_simplified,
       string_agg(coalesce(k.pinyin, c.ch), ' ' order by c.position) as name_pinyin
from characters as c
left join name_chars as k using (ch)
group by c.name
