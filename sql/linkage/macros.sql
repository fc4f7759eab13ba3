-- Identity resolution (识别同一人): how two ID numbers differ, in kinds the comparisons and the
-- rules share and in words for the evidence. Both arguments are ID numbers as loaded (the normalised
-- 18 characters, or the cleaned raw text when invalid).
--
-- A one-digit typo or a swap of two adjacent digits in the first 17 always breaks the check digit
-- (GB 11643's weights are distinct and non-zero mod 11), so a typed-wrong number keeps the check
-- character of the true one: the two numbers differ in that one place (or the two swapped places)
-- only. Two different real people's numbers that differ in one body digit differ in the check
-- character too ('one_digit_recheck'), which is weaker evidence of a typo.
--
--   exact             the same number
--   check_digit       the same first 17 digits, a different (wrong) check character; or one side is
--                     the first 17 digits without a check character (a 15 -> 18 conversion slip)
--   one_digit         18 characters each, one of the first 17 differs, the check characters agree
--   transposition     18 characters each, two adjacent characters swapped
--   one_digit_recheck 18 characters each, one of the first 17 differs and the check characters too
--   other             anything else (or either side missing)

create or replace macro fw_id_diff_positions(a, b) as
    list_filter(range(1, 19), lambda i: substr(a, i, 1) <> substr(b, i, 1));

create or replace macro fw_id_difference_kind(a, b) as
    case when a is null or b is null then 'other'
         when a = b then 'exact'
         when length(a) = 18 and length(b) = 18 and left(a, 17) = left(b, 17) then 'check_digit'
         when (length(a) = 17 and length(b) = 18 and a = left(b, 17))
           or (length(b) = 17 and length(a) = 18 and b = left(a, 17)) then 'check_digit'
         when length(a) <> 18 or length(b) <> 18 then 'other'
         when hamming(a, b) = 1 then 'one_digit'
         when hamming(a, b) = 2 and damerau_levenshtein(a, b) = 1 then 'transposition'
         when hamming(left(a, 17), left(b, 17)) = 1 then 'one_digit_recheck'
         else 'other' end;

-- The difference in words (疑点描述): "身份证号第14位不同", "第9、10位互换", "校验位错误".
create or replace macro fw_id_difference_text(a, b) as
    list_transform([{'kind': fw_id_difference_kind(a, b), 'at': fw_id_diff_positions(a, b)}], lambda d:
        case d.kind
            when 'exact' then '身份证号相同'
            when 'check_digit' then case when length(a) = 17 or length(b) = 17 then '缺少校验位（15位升18位错误）'
                                         else '校验位错误' end
            when 'one_digit' then '身份证号第' || d.at[1] || '位不同'
            when 'transposition' then '身份证号第' || d.at[1] || '、' || d.at[2] || '位互换'
            when 'one_digit_recheck' then '身份证号第' || d.at[1] || '位及校验位不同'
            else '身份证号不同' end)[1];

-- A partial ID number from a tip-off (330102********1234: * for unknown digits, full-width
-- forms accepted) agrees with a full one when it has 18 places and every digit it shows is the same.
create or replace macro fw_partial_id_shown(p) as
    translate(upper(replace(p, ' ', '')), '＊ｘＸ０１２３４５６７８９', '*XX0123456789');

create or replace macro fw_partial_id_pattern(p) as
    regexp_replace(fw_partial_id_shown(p), '[*]', '.', 'g');

-- Compared place by place rather than as a regular expression: a pattern that differs per row is compiled
-- per row, and splink evaluates this on every pair it samples to estimate u (200,000: 5 s as a regex).
-- A number typed with a space has fewer than 18 places once the space is gone: it agrees with nothing.
create or replace macro fw_partial_id_agrees(p, full_id) as
    p is not null and full_id is not null and length(p) = 18 and length(full_id) = 18
    and length(fw_partial_id_shown(p)) = 18
    and list_bool_and(list_transform(list_zip(string_split(fw_partial_id_shown(p), ''), string_split(full_id, '')),
                                     lambda pair: pair[1] = '*' or pair[1] = pair[2]));

create or replace macro fw_partial_id_digits(p) as
    length(regexp_replace(fw_partial_id_pattern(p), '[^0-9X]', '', 'g'));
