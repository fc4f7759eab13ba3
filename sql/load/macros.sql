-- Parsers used at load: each takes the raw text of one cell and returns the typed value, or NULL
-- when the text cannot be read. Empty text is NULL everywhere.
--
-- Macros are inlined: a macro that names its argument several times copies the argument's whole
-- expression each time, and nested parsers would grow plans exponentially. list_transform over a
-- one-element list binds a value once (a `let`) and keeps every plan small.

-- Characters that exports carry around values without being part of them: zero-width characters
-- and byte-order marks (deleted wherever they are), and spaces of every kind, including no-break
-- and full-width spaces (trimmed at the ends). Excel's text wrappers ="…" and a leading ' before a
-- number are unwrapped. Nothing else about a value is changed here.
create or replace macro fw_invisible_chars() as chr(8203) || chr(8204) || chr(8205) || chr(8288) || chr(65279);
create or replace macro fw_space_chars() as ' ' || chr(9) || chr(10) || chr(13) || chr(12288) || chr(160) || chr(8239);

-- Most cells need none of this: a cheap test on the first and last character, and a search for the
-- invisible characters only in text that is not plain ASCII, keep the plain cell as it is.
create or replace macro fw_needs_cleaning(x) as
    x = '' or contains(fw_space_chars() || '=''', left(x, 1)) or contains(fw_space_chars(), right(x, 1))
    or (strlen(x) <> length(x) and regexp_matches(x, '[\x{200B}-\x{200D}\x{2060}\x{FEFF}]'));

create or replace macro fw_unwrap(t) as
    case when t like '="%"' and length(t) >= 3 then substr(t, 3, length(t) - 3)
         when t like '''%' and regexp_full_match(t, '''[0-9０-９xX]+') then substr(t, 2)
         else t end;

create or replace macro fw_clean(s) as
    list_transform([s::varchar], lambda x:
        case when fw_needs_cleaning(x)
             then list_transform([trim(translate(x, fw_invisible_chars(), ''), fw_space_chars())], lambda t:
                      nullif(trim(fw_unwrap(t), fw_space_chars()), ''))[1]
             else x end)[1];

-- fw_clean, then full-width digits and signs to half-width and every space inside removed (codes
-- where spaces carry nothing: ID numbers, accounts, region and scheme codes).
create or replace macro fw_compact(s) as
    nullif(translate(fw_clean(s), '０１２３４５６７８９ｘＸ－／．：' || fw_space_chars(), '0123456789xX-/.:'), '');

-- fw_clean with full-width digits and signs made half-width; spaces inside are kept (and so refused
-- by the strict grammars of numbers, dates and periods).
create or replace macro fw_halfwidth(s) as
    translate(fw_clean(s), '０１２３４５６７８９－／．：，', '0123456789-/.:,');

-- GB 11643-1999: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 indexes '10X98765432'.
-- A lambda keeps one copy of the argument: macros are inlined, and a term per digit would copy the
-- (often long) argument expression 17 times into every caller's plan.
create or replace macro fw_id_check_char(first17) as
    substr('10X98765432',
           1 + (list_sum(list_transform(range(1, 18),
                lambda i: try_cast(substr(first17, i, 1) as integer)
                          * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i])) % 11)::integer,
           1);

create or replace macro fw_id_upgrade15(s) as
    list_transform([s], lambda c:
        case when regexp_full_match(c, '[0-9]{15}')
             then substr(c, 1, 6) || '19' || substr(c, 7, 9)
                  || fw_id_check_char(substr(c, 1, 6) || '19' || substr(c, 7, 9))
             else c end)[1];

-- Spaces and full-width digits removed, x upper-cased, 15 digits widened to 18.
create or replace macro fw_id_candidate(s) as
    fw_id_upgrade15(upper(fw_compact(s)));

-- What is wrong with a candidate ID number, in words; NULL when it is valid.
create or replace macro fw_id_problem(s) as
    list_transform([s], lambda n: case
        when n is null then '号码为空'
        when length(n) <> 18 then '号码长度为' || length(n) || '位（应为18位或15位）'
        when not regexp_full_match(n, '[0-9]{17}[0-9X]') then '号码含非法字符'
        when try_strptime(substr(n, 7, 8), '%Y%m%d') is null then '号码中的出生日期' || substr(n, 7, 8) || '不存在'
        when substr(n, 7, 4)::integer < 1880 or try_strptime(substr(n, 7, 8), '%Y%m%d') > current_date
            then '号码中的出生日期' || substr(n, 7, 8) || '不合理'
        when substr(n, 18, 1) <> fw_id_check_char(substr(n, 1, 17))
            then '校验码错误（末位为' || substr(n, 18, 1) || '，应为' || fw_id_check_char(substr(n, 1, 17)) || '）'
    end)[1];

-- The normalised 18-character number when valid, else the trimmed raw value (kept for A02 clues).
create or replace macro fw_id_normalise(s) as
    list_transform([[fw_id_candidate(s), fw_clean(s)]], lambda v:
        case when fw_id_problem(v[1]) is null then v[1] else v[2] end)[1];

create or replace macro fw_id_birth_date(n) as
    try_strptime(substr(n, 7, 8), '%Y%m%d')::date;

create or replace macro fw_id_gender(n) as
    case when try_cast(substr(n, 17, 1) as integer) % 2 = 1 then '男' else '女' end;

create or replace macro fw_parse_account(s) as fw_compact(s);

create or replace macro fw_parse_benefit_type(s) as
    list_transform([fw_clean(s)], lambda t: case t when '养老金' then '基本养老金' else t end)[1];

create or replace macro fw_parse_scheme(s) as
    list_transform([fw_compact(s)], lambda c: case
        when regexp_full_match(c, '(110|120|170|210|410)') then c
        when c like '%企业%养老%' then '110'
        when c like '%机关事业%养老%' then '120'
        when c like '%城乡居民%养老%' or c like '%居民%养老%' then '170'
        when c like '%失业%' then '210'
        when c like '%工伤%' then '410'
        when regexp_full_match(c, '[0-9]{3}') then c
    end)[1];

create or replace macro fw_parse_gender(s) as
    list_transform([fw_compact(s)], lambda c: case
        when c in ('男', '1', '男性', 'M', 'm') then '男'
        when c in ('女', '2', '女性', 'F', 'f') then '女'
    end)[1];

create or replace macro fw_parse_region(s) as
    list_transform([fw_compact(s)], lambda c: case when regexp_full_match(c, '[0-9]{6}') then c end)[1];

-- Dates: 2023-03-05, 2023/3/5, 2023.3.5, 20230305 (exactly 8 digits: 2023111 is ambiguous),
-- 2023年3月5日; a time of day may follow (2024-01-17 09:05, 2024-01-17T09:05:30) and is kept by
-- fw_parse_timestamp. Anything else is not a date.
create or replace macro fw_date_parts(t) as
    regexp_extract(t, '^([0-9]{4})(?:-([0-9]{1,2})-([0-9]{1,2})|/([0-9]{1,2})/([0-9]{1,2})|[.]([0-9]{1,2})[.]([0-9]{1,2})'
                      || '|([0-9]{2})([0-9]{2})|年([0-9]{1,2})月([0-9]{1,2})日)'
                      || '(?:(?: +|T)([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.][0-9]{1,6})?)?)?$',
                   ['y', 'm1', 'd1', 'm2', 'd2', 'm3', 'd3', 'm4', 'd4', 'm5', 'd5', 'hh', 'mi', 'ss']);

create or replace macro fw_timestamp_of_parts(p) as
    case when p.y <> '' and p.y::integer between 1880 and 2200
         then try_strptime(p.y || '-' || (p.m1 || p.m2 || p.m3 || p.m4 || p.m5) || '-' || (p.d1 || p.d2 || p.d3 || p.d4 || p.d5)
                           || ' ' || coalesce(nullif(p.hh, ''), '0') || ':' || coalesce(nullif(p.mi, ''), '0')
                           || ':' || coalesce(nullif(p.ss, ''), '0'),
                           '%Y-%m-%d %H:%M:%S') end;

create or replace macro fw_parse_timestamp(s) as
    list_transform([fw_date_parts(fw_halfwidth(s))], lambda p: fw_timestamp_of_parts(p))[1];

create or replace macro fw_parse_date(s) as fw_parse_timestamp(s)::date;

-- Periods: 202303, 2023-03 / 2023-3, 2023/03, 2023.03 (two digits after a point: 2022.1 may be
-- Excel's 2022.10), 2023年03月 -> 202303
create or replace macro fw_period_parts(c) as
    regexp_extract(c, '^([0-9]{4})(?:([0-9]{2})|[-/年]([0-9]{1,2})月?|[.]([0-9]{2}))$', ['y', 'm1', 'm2', 'm3']);

create or replace macro fw_period_of_parts(p) as
    case when p.y <> '' and p.y::integer between 1900 and 2200
              and (p.m1 || p.m2 || p.m3)::integer between 1 and 12
         then p.y::integer * 100 + (p.m1 || p.m2 || p.m3)::integer end;

create or replace macro fw_parse_period(s) as
    list_transform([fw_period_parts(fw_halfwidth(s))], lambda p: fw_period_of_parts(p))[1];

-- Money (INPUT.md): an optional -, an optional ¥/￥, digits in which , or ， only separate groups of
-- exactly three digits left of the point, at most two decimals, an optional 元. Nothing else is read.
create or replace macro fw_money_grammar() as
    '-?[¥￥]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:[.][0-9]{1,2})?元?';

create or replace macro fw_parse_money(s) as
    list_transform([fw_halfwidth(s)], lambda m:
        try_cast(case when regexp_full_match(m, fw_money_grammar())
                      then regexp_replace(m, '[¥￥,元]', '', 'g') end as decimal(18, 2)))[1];

create or replace macro fw_parse_integer(s) as
    list_transform([fw_halfwidth(s)], lambda t: case when regexp_full_match(t, '[0-9]{1,9}') then t::integer end)[1];

-- 操作类型 (INPUT.md, operations): the seven types of the log, as the system prints them.
create or replace macro fw_parse_op_type(s) as
    list_transform([fw_compact(s)], lambda t: case
        when t in ('新增待遇', '变更账号', '暂停发放', '恢复发放', '终止待遇', '补发', '调整金额') then t
    end)[1];

-- 发放状态: empty is 成功 (INPUT.md); 失败 and 退回 were not received.
create or replace macro fw_parse_pay_status(s) as
    list_transform([fw_clean(s)], lambda t: case when t is null then '成功' when t in ('成功', '失败', '退回') then t end)[1];

-- Month arithmetic on YYYYMM integers.
create or replace macro fw_month_index(p) as (p // 100) * 12 + (p % 100) - 1;
create or replace macro fw_period_of(d) as (year(d) * 100 + month(d))::integer;
create or replace macro fw_period_add(p, n) as
    ((fw_month_index(p) + n) // 12) * 100 + ((fw_month_index(p) + n) % 12) + 1;
