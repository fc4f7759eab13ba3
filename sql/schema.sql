-- GENERATED from sql/tables/*.toml (one sidecar per table) by `python -m fundwatch.sidecars`:
-- edit the sidecars, not this file (tests/test_sidecars.py fails when it is out of date).
--
-- The tables of one run's database. An input table holds one row per input row that loaded;
-- source_file and source_line trace it back to the agency's export (line 1 = header; xlsx: the
-- sheet row). Periods are INTEGER YYYYMM; money is DECIMAL(18,2) 元; ID numbers are normalised at load.

create table if not exists payments (  -- 待遇发放明细: one row per payment (发放流水) of a county's payment exports that loaded
    row_key          bigint not null,         -- unique within the run: the file's number × 10^10 + source_line (set by the loader)
    payment_id       varchar not null,        -- 发放流水号 of the agency's system; two rows with one number but other fields differing are both loaded (validation reports them)
    person_id        varchar not null,        -- 个人编号 of the recipient in the agency's system
    id_number        varchar not null,        -- 公民身份号码: normalised at load (18 characters, upper-case X, a 15-digit number widened); the value as given when invalid
    id_valid         boolean not null,        -- whether id_number is a valid GB 11643 number (set by the loader; invalid numbers are loaded: rule A02)
    name             varchar not null,        -- 姓名, as given (spaces trimmed)
    scheme           varchar not null,        -- 险种类型 code: 110 企业职工 · 120 机关事业单位 · 170 城乡居民 · 210 失业 · 410 工伤 (a scheme name is read as its code)
    benefit_type     varchar not null,        -- 待遇类型 as given; 养老金 is normalised to 基本养老金
    period           integer not null,        -- 所属期, the month paid for, as YYYYMM
    pay_date         date not null,           -- 发放日期
    amount           decimal(18, 2) not null, -- 发放金额 in 元; negative: a reversal (冲正)
    bank_account     varchar not null,        -- 银行账号 or 社保卡号 paid into, spaces and full-width digits removed
    region_code      varchar not null,        -- 行政区划代码 of the recipient (6 digits)
    operator_id      varchar,                 -- 经办人 工号 who handled the payment
    reviewer_id      varchar,                 -- 审核人 工号 who approved it
    pay_status       varchar not null,        -- 发放状态: 成功 / 失败 / 退回 (an empty cell is 成功)
    benefit_category varchar,                 -- the category of benefit_type (sql/load/benefit_types.toml; set by the loader); null when the table does not name it
    county           varchar not null,        -- the 6-digit code of the county folder the file came from (empty when the folder is not named by a code)
    source_file      varchar not null,        -- the file the row came from, relative to the input folder
    source_line      bigint not null,         -- the row's physical line in the file (header = line 1; .xlsx: the sheet row)
    extra_columns    json                     -- the file's columns that are no column of this table, as a JSON object {header: value}
);

create table if not exists recipients (  -- 待遇领取人员信息: one row per person and scheme (待遇领取人员)
    row_key             bigint not null,  -- unique within the run: the file's number × 10^10 + source_line (set by the loader)
    person_id           varchar not null, -- 个人编号 in the agency's system
    id_number           varchar not null, -- 公民身份号码: normalised at load (18 characters, upper-case X, a 15-digit number widened); the value as given when invalid
    id_valid            boolean not null, -- whether id_number is a valid GB 11643 number (set by the loader; invalid numbers are loaded: rule A02)
    name                varchar not null, -- 姓名, as given (spaces trimmed)
    gender              varchar not null, -- 性别: 男 / 女 (1/2, 男性/女性, M/F are read)
    birth_date          date not null,    -- 出生日期 as the agency records it
    scheme              varchar not null, -- 险种类型 code (as in payments)
    personnel_type      varchar,          -- 人员身份: 干部 / 工人
    unit_type           varchar,          -- 单位类型: 企业 / 机关 / 事业单位 / 灵活就业 / 城乡居民
    retirement_type     varchar,          -- 退休类型: 正常退休 / 特殊工种提前退休 / 因病提前退休 / 其他
    benefit_start       integer not null, -- 待遇享受开始年月 (YYYYMM)
    status              varchar not null, -- 待遇状态: 正常 / 暂停 / 终止
    contribution_months integer,          -- 累计缴费月数
    region_code         varchar not null, -- 行政区划代码 (6 digits)
    county              varchar not null, -- the 6-digit code of the county folder the file came from (empty when the folder is not named by a code)
    source_file         varchar not null, -- the file the row came from, relative to the input folder
    source_line         bigint not null,  -- the row's physical line in the file (header = line 1; .xlsx: the sheet row)
    extra_columns       json              -- the file's columns that are no column of this table, as a JSON object {header: value}
);

create table if not exists deaths (  -- 死亡人员信息: one row per death record of the reference list (死亡人员信息)
    row_key         bigint not null,  -- unique within the run: the file's number × 10^10 + source_line (set by the loader)
    id_number       varchar not null, -- 公民身份号码: normalised at load (18 characters, upper-case X, a 15-digit number widened); the value as given when invalid
    id_valid        boolean not null, -- whether id_number is a valid GB 11643 number (set by the loader; invalid numbers are loaded: rule A02)
    name            varchar not null, -- 姓名, as given (spaces trimmed)
    death_date      date not null,    -- 死亡日期
    source          varchar,          -- 数据来源: 公安 / 民政 / 卫健
    registered_date date,             -- 登记日期: when the death reached the agency (户籍注销 or the data-sharing push); null: not recorded
    source_file     varchar not null, -- the file the row came from, relative to the input folder
    source_line     bigint not null,  -- the row's physical line in the file (header = line 1; .xlsx: the sheet row)
    extra_columns   json              -- the file's columns that are no column of this table, as a JSON object {header: value}
);

create table if not exists prisoners (  -- 服刑人员信息: one row per sentence of the reference list (服刑人员信息)
    row_key        bigint not null,  -- unique within the run: the file's number × 10^10 + source_line (set by the loader)
    id_number      varchar not null, -- 公民身份号码: normalised at load (18 characters, upper-case X, a 15-digit number widened); the value as given when invalid
    id_valid       boolean not null, -- whether id_number is a valid GB 11643 number (set by the loader; invalid numbers are loaded: rule A02)
    name           varchar not null, -- 姓名, as given (spaces trimmed)
    sentence_start date not null,    -- 服刑开始日期
    sentence_end   date,             -- 服刑结束日期; null: still serving
    source_file    varchar not null, -- the file the row came from, relative to the input folder
    source_line    bigint not null,  -- the row's physical line in the file (header = line 1; .xlsx: the sheet row)
    extra_columns  json              -- the file's columns that are no column of this table, as a JSON object {header: value}
);

create table if not exists public_employees (  -- 财政供养人员信息: one row per employment of the reference list (财政供养人员信息)
    row_key       bigint not null,  -- unique within the run: the file's number × 10^10 + source_line (set by the loader)
    id_number     varchar not null, -- 公民身份号码: normalised at load (18 characters, upper-case X, a 15-digit number widened); the value as given when invalid
    id_valid      boolean not null, -- whether id_number is a valid GB 11643 number (set by the loader; invalid numbers are loaded: rule A02)
    name          varchar not null, -- 姓名, as given (spaces trimmed)
    unit_name     varchar,          -- 单位名称 (the employer)
    start_date    date,             -- 入编日期
    end_date      date,             -- 离职日期; null: still employed
    source_file   varchar not null, -- the file the row came from, relative to the input folder
    source_line   bigint not null,  -- the row's physical line in the file (header = line 1; .xlsx: the sheet row)
    extra_columns json              -- the file's columns that are no column of this table, as a JSON object {header: value}
);

create table if not exists tipoffs (  -- 信访举报线索: one row per tip-off (信访举报线索) from the public (信访, 12345, 举报信箱)
    row_key       bigint not null,  -- unique within the run: the file's number × 10^10 + source_line (set by the loader)
    tip_id        varchar not null, -- 信访编号
    received_date date not null,    -- 收到日期
    name          varchar not null, -- 被反映人姓名 as written (同音字 happen)
    id_number     varchar,          -- 被反映人身份证号 as given: full, partial (330102********1234) or empty; not normalised
    place         varchar,          -- 所在地: a county or township name, or a 6-digit code
    category      varchar,          -- 反映类型: 冒领 / 重复领取 / 违规领取 / 经办人员问题 / 其他
    content       varchar,          -- 反映内容, free text
    source_file   varchar not null, -- the file the row came from, relative to the input folder
    source_line   bigint not null,  -- the row's physical line in the file (header = line 1; .xlsx: the sheet row)
    extra_columns json              -- the file's columns that are no column of this table, as a JSON object {header: value}
);

create table if not exists employment (  -- 职工参保缴费记录: one row per person, month and employer contribution record (职工参保缴费记录)
    row_key       bigint not null,  -- unique within the run: the file's number × 10^10 + source_line (set by the loader)
    id_number     varchar not null, -- 公民身份号码: normalised at load (18 characters, upper-case X, a 15-digit number widened); the value as given when invalid
    id_valid      boolean not null, -- whether id_number is a valid GB 11643 number (set by the loader; invalid numbers are loaded: rule A02)
    period        integer not null, -- 缴费所属期 (YYYYMM)
    unit_name     varchar,          -- 单位名称 (the employer paying contributions)
    name          varchar,          -- 姓名, as given (spaces trimmed)
    source_file   varchar not null, -- the file the row came from, relative to the input folder
    source_line   bigint not null,  -- the row's physical line in the file (header = line 1; .xlsx: the sheet row)
    extra_columns json              -- the file's columns that are no column of this table, as a JSON object {header: value}
);

create table if not exists operations (  -- 经办操作日志: one row per operation of the agency's staff on a benefit record (经办操作日志)
    row_key       bigint not null,    -- unique within the run: the file's number × 10^10 + source_line (set by the loader)
    op_id         varchar not null,   -- 操作流水号
    op_time       timestamp not null, -- 操作时间; a time of day is kept when the log gives one
    op_type       varchar not null,   -- 操作类型: 新增待遇 / 变更账号 / 暂停发放 / 恢复发放 / 终止待遇 / 补发 / 调整金额
    id_number     varchar not null,   -- 对象身份证号 of the benefit record operated on; normalised at load (18 characters, upper-case X, a 15-digit number widened); the value as given when invalid
    id_valid      boolean not null,   -- whether id_number is a valid GB 11643 number (set by the loader; invalid numbers are loaded: rule A02)
    operator_id   varchar not null,   -- 经办人 工号
    reviewer_id   varchar,            -- 审核人 工号
    old_value     varchar,            -- 变更前: an account, an amount or a status, as printed
    new_value     varchar,            -- 变更后, as printed
    months        integer,            -- 补发月数 (for 补发)
    region_code   varchar,            -- 行政区划代码 (6 digits)
    county        varchar not null,   -- the 6-digit code of the county folder the file came from (empty when the folder is not named by a code)
    source_file   varchar not null,   -- the file the row came from, relative to the input folder
    source_line   bigint not null,    -- the row's physical line in the file (header = line 1; .xlsx: the sheet row)
    extra_columns json                -- the file's columns that are no column of this table, as a JSON object {header: value}
);

create table if not exists staff (  -- 经办人员信息: one row per staff member and own bank account (经办人员信息)
    row_key       bigint not null,  -- unique within the run: the file's number × 10^10 + source_line (set by the loader)
    operator_id   varchar not null, -- 工号, as payments and operations name them
    id_number     varchar not null, -- 公民身份号码: normalised at load (18 characters, upper-case X, a 15-digit number widened); the value as given when invalid
    id_valid      boolean not null, -- whether id_number is a valid GB 11643 number (set by the loader; invalid numbers are loaded: rule A02)
    name          varchar not null, -- 姓名, as given (spaces trimmed)
    bank_account  varchar,          -- 本人银行账号 (the staff member's own account)
    unit_name     varchar,          -- 所在机构
    region_code   varchar,          -- 行政区划代码 (6 digits)
    source_file   varchar not null, -- the file the row came from, relative to the input folder
    source_line   bigint not null,  -- the row's physical line in the file (header = line 1; .xlsx: the sheet row)
    extra_columns json              -- the file's columns that are no column of this table, as a JSON object {header: value}
);

create table if not exists management (  -- 管理问题汇总: one row per management finding (管理问题汇总), traced to its clues
    finding_id      varchar not null,        -- 问题编号: stable, from the part and the finding's key
    part            varchar not null,        -- the part of sql/management/ that found it: late_stops / desks / staff_clues
    finding_key     varchar not null,        -- the finding's key within its part
    problem_type    varchar not null,        -- 问题类型
    region_code     varchar,                 -- 行政区划代码
    stage           varchar not null,        -- 责任环节: 经办 / 审核 / 系统
    operator_id     varchar,                 -- 经办人 (;-joined when several)
    reviewer_id     varchar,                 -- 审核人
    clue_count      integer not null,        -- clues behind the finding
    people          integer not null,        -- people concerned
    amount          decimal(18, 2) not null, -- 问题金额 (元)
    note            varchar not null,        -- 说明
    clue_ids        varchar not null,        -- 线索编号 of the clues behind it, ;-joined
    months          integer,                 -- 处置时效: distinct periods paid after the death was registered
    days            integer,                 -- 处置时效: days from the registration to the last such payment
    exposure_amount decimal(18, 2) not null  -- payments to verify (S04), apart from 问题金额 (元)
);

create table if not exists quarantine (  -- 隔离的输入行: one row per input row that could not be loaded, or per extra exact copy of a row
    source_file varchar not null, -- the file, relative to the input folder
    source_line bigint not null,  -- the row's physical line (header = line 1; .xlsx: the sheet row)
    table_name  varchar not null, -- the table the file was read as
    column_name varchar,          -- the header of each column at fault as the file prints it, ;-joined; null for an exact copy
    value       varchar,          -- the values at fault (first 200 characters each), ;-joined
    reason      varchar not null  -- why, in words (e.g. 日期无法识别或不存在, 必填项为空, 完全重复行（与第3行相同）), ;-joined
);
