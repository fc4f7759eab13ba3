-- Parsers used at load: each takes the raw text of one cell and returns the typed value, or NULL
-- when the text cannot be read. Empty text is NULL everywhere.

-- Trimming with a set of characters costs several times a plain comparison, so only text that
-- starts or ends with one of them (or is empty) is trimmed: most cells are returned as they are.
create or replace macro fw_clean(s) as
    case when contains(' ' || chr(9) || chr(10) || chr(13) || chr(12288) || chr(160), left(s::varchar, 1))
              or contains(' ' || chr(9) || chr(10) || chr(13) || chr(12288) || chr(160), right(s::varchar, 1))
         then nullif(trim(s::varchar, ' ' || chr(9) || chr(10) || chr(13) || chr(12288) || chr(160)), '')
         else s::varchar end;

-- Full-width digits and signs to half-width; every kind of space removed (translate drops the
-- characters of its second argument that have no counterpart in the third).
create or replace macro fw_compact(s) as
    nullif(translate(s::varchar,
                     '０１２３４５６７８９ｘＸ－／．：' || ' ' || chr(9) || chr(10) || chr(13) || chr(12288) || chr(160),
                     '0123456789xX-/.:'), '');

-- fw_compact, and the currency signs, thousands separators and 元 of an amount dropped too.
create or replace macro fw_money_text(s) as
    nullif(translate(s::varchar,
                     '０１２３４５６７８９－．' || ' ' || chr(9) || chr(10) || chr(13) || chr(12288) || chr(160)
                     || '¥￥,，元',
                     '0123456789-.'), '');

-- GB 11643-1999: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 indexes '10X98765432'.
-- A lambda keeps one copy of the argument: macros are inlined, and a term per digit would copy the
-- (often long) argument expression 17 times into every caller's plan.
create or replace macro fw_id_check_char(first17) as
    substr('10X98765432',
           1 + (list_sum(list_transform(range(1, 18),
                lambda i: try_cast(substr(first17, i, 1) as integer)
                          * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i])) % 11)::integer,
           1);

create or replace macro fw_id_upgrade15(c) as
    case when regexp_full_match(c, '[0-9]{15}')
         then substr(c, 1, 6) || '19' || substr(c, 7, 9)
              || fw_id_check_char(substr(c, 1, 6) || '19' || substr(c, 7, 9))
         else c end;

-- Spaces and full-width digits removed, x upper-cased, 15 digits widened to 18.
create or replace macro fw_id_candidate(s) as
    fw_id_upgrade15(upper(fw_compact(s)));

-- What is wrong with a candidate ID number, in words; NULL when it is valid.
create or replace macro fw_id_problem(n) as
    case
        when n is null then '号码为空'
        when length(n) <> 18 then '号码长度为' || length(n) || '位（应为18位或15位）'
        when not regexp_full_match(n, '[0-9]{17}[0-9X]') then '号码含非法字符'
        when try_strptime(substr(n, 7, 8), '%Y%m%d') is null then '号码中的出生日期' || substr(n, 7, 8) || '不存在'
        when substr(n, 7, 4)::integer < 1880 or try_strptime(substr(n, 7, 8), '%Y%m%d') > current_date
            then '号码中的出生日期' || substr(n, 7, 8) || '不合理'
        when substr(n, 18, 1) <> fw_id_check_char(substr(n, 1, 17))
            then '校验码错误（末位为' || substr(n, 18, 1) || '，应为' || fw_id_check_char(substr(n, 1, 17)) || '）'
    end;

-- The normalised 18-character number when valid, else the trimmed raw value (kept for A02 clues).
create or replace macro fw_id_normalise(s) as
    case when fw_id_problem(fw_id_candidate(s)) is null then fw_id_candidate(s) else fw_clean(s) end;

create or replace macro fw_id_birth_date(n) as
    try_strptime(substr(n, 7, 8), '%Y%m%d')::date;

create or replace macro fw_id_gender(n) as
    case when try_cast(substr(n, 17, 1) as integer) % 2 = 1 then '男' else '女' end;

create or replace macro fw_parse_account(s) as fw_compact(s);

create or replace macro fw_parse_benefit_type(s) as
    case fw_clean(s) when '养老金' then '基本养老金' else fw_clean(s) end;

create or replace macro fw_parse_scheme(s) as
    case
        when regexp_full_match(fw_compact(s), '(110|120|170|210|410)') then fw_compact(s)
        when fw_compact(s) like '%企业%养老%' then '110'
        when fw_compact(s) like '%机关事业%养老%' then '120'
        when fw_compact(s) like '%城乡居民%养老%' or fw_compact(s) like '%居民%养老%' then '170'
        when fw_compact(s) like '%失业%' then '210'
        when fw_compact(s) like '%工伤%' then '410'
        when regexp_full_match(fw_compact(s), '[0-9]{3}') then fw_compact(s)
    end;

create or replace macro fw_parse_gender(s) as
    case
        when fw_compact(s) in ('男', '1', '男性', 'M', 'm') then '男'
        when fw_compact(s) in ('女', '2', '女性', 'F', 'f') then '女'
    end;

create or replace macro fw_parse_region(s) as
    case when regexp_full_match(fw_compact(s), '[0-9]{6}') then fw_compact(s) end;

create or replace macro fw_parse_date(s) as
    case when year(try_strptime(fw_compact(s),
                   ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y.%m.%d', '%Y年%m月%d日',
                    '%Y-%m-%d%H:%M:%S', '%Y/%m/%d%H:%M:%S', '%Y-%m-%dT%H:%M:%S']))
              between 1880 and 2200
         then try_strptime(fw_compact(s),
                   ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y.%m.%d', '%Y年%m月%d日',
                    '%Y-%m-%d%H:%M:%S', '%Y/%m/%d%H:%M:%S', '%Y-%m-%dT%H:%M:%S'])::date
    end;

-- 202303, 2023-03, 2023/3, 2023.03, 2023年03月 -> 202303
create or replace macro fw_period_parts(c) as
    case when regexp_full_match(c, '[0-9]{6}')
         then regexp_extract(c, '^([0-9]{4})([0-9]{2})$', ['y', 'm'])
         else regexp_extract(c, '^([0-9]{4})[-/.年]([0-9]{1,2})月?$', ['y', 'm']) end;

create or replace macro fw_parse_period(s) as
    case when try_cast(nullif(fw_period_parts(fw_compact(s)).m, '') as integer) between 1 and 12
              and try_cast(nullif(fw_period_parts(fw_compact(s)).y, '') as integer) between 1900 and 2200
         then fw_period_parts(fw_compact(s)).y::integer * 100 + fw_period_parts(fw_compact(s)).m::integer
    end;

create or replace macro fw_parse_money(s) as
    try_cast(case when regexp_full_match(fw_money_text(s), '-?[0-9]+(\.[0-9]{1,2})?') then fw_money_text(s) end
             as decimal(18, 2));

create or replace macro fw_parse_integer(s) as
    case when regexp_full_match(fw_compact(s), '[0-9]{1,9}') then fw_compact(s)::integer end;

-- Month arithmetic on YYYYMM integers.
create or replace macro fw_month_index(p) as (p // 100) * 12 + (p % 100) - 1;
create or replace macro fw_period_of(d) as (year(d) * 100 + month(d))::integer;
create or replace macro fw_period_add(p, n) as
    ((fw_month_index(p) + n) // 12) * 100 + ((fw_month_index(p) + n) % 12) + 1;
