-- Typed tables of one run's database. One row per input row that loaded; source_file and
-- source_line trace it back to the agency's export (line 1 = header; xlsx: the sheet row).
-- Periods are INTEGER YYYYMM; money is DECIMAL(18,2) 元; ID numbers are normalised at load.

create table if not exists payments (           -- one row per payment (待遇发放明细)
    row_key       bigint not null,              -- unique within the run
    payment_id    varchar not null,
    person_id     varchar not null,
    id_number     varchar not null,             -- 18 characters, upper-case X; the raw value when invalid
    id_valid      boolean not null,
    name          varchar not null,
    scheme        varchar not null,             -- 110 120 170 210 410
    benefit_type  varchar not null,             -- 养老金 normalised to 基本养老金
    period        integer not null,             -- YYYYMM
    pay_date      date not null,
    amount        decimal(18, 2) not null,      -- 元
    bank_account  varchar not null,
    region_code   varchar not null,             -- 6 digits
    operator_id   varchar,
    reviewer_id   varchar,
    pay_status    varchar not null,             -- 成功 / 失败 / 退回 (empty in the export: 成功)
    benefit_category varchar,                   -- sql/load/benefit_types.toml; null: not in the table
    county        varchar not null,             -- the county folder the file came from
    source_file   varchar not null,             -- relative to the input folder
    source_line   bigint not null,
    extra_columns json                          -- the file's columns that are no column of the table
);

create table if not exists recipients (         -- one row per person and scheme (待遇领取人员信息)
    row_key             bigint not null,
    person_id           varchar not null,
    id_number           varchar not null,
    id_valid            boolean not null,
    name                varchar not null,
    gender              varchar not null,       -- 男 / 女
    birth_date          date not null,
    scheme              varchar not null,
    personnel_type      varchar,                -- 干部 / 工人
    unit_type           varchar,
    retirement_type     varchar,
    benefit_start       integer not null,       -- YYYYMM
    status              varchar not null,
    contribution_months integer,
    region_code         varchar not null,
    county              varchar not null,
    source_file         varchar not null,
    source_line         bigint not null,
    extra_columns json
);

create table if not exists deaths (             -- 死亡人员信息
    row_key     bigint not null,
    id_number   varchar not null,
    id_valid    boolean not null,
    name        varchar not null,
    death_date  date not null,
    source      varchar,                        -- 公安 / 民政 / 卫健
    registered_date date,                       -- when the death reached the agency (null: not recorded)
    source_file varchar not null,
    source_line bigint not null,
    extra_columns json
);

create table if not exists prisoners (          -- 服刑人员信息
    row_key        bigint not null,
    id_number      varchar not null,
    id_valid       boolean not null,
    name           varchar not null,
    sentence_start date not null,
    sentence_end   date,                        -- null: still serving
    source_file    varchar not null,
    source_line    bigint not null,
    extra_columns json
);

create table if not exists public_employees (   -- 财政供养人员信息
    row_key     bigint not null,
    id_number   varchar not null,
    id_valid    boolean not null,
    name        varchar not null,
    unit_name   varchar,
    start_date  date,
    end_date    date,                           -- null: still employed
    source_file varchar not null,
    source_line bigint not null,
    extra_columns json
);

create table if not exists employment (         -- 职工参保缴费记录
    row_key     bigint not null,
    id_number   varchar not null,
    id_valid    boolean not null,
    period      integer not null,
    unit_name   varchar,
    name        varchar,
    source_file varchar not null,
    source_line bigint not null,
    extra_columns json
);

create table if not exists operations (         -- 经办操作日志: one row per operation on a benefit record
    row_key     bigint not null,
    op_id       varchar not null,
    op_time     timestamp not null,             -- a time of day is kept when the log gives one
    op_type     varchar not null,               -- 新增待遇 变更账号 暂停发放 恢复发放 终止待遇 补发 调整金额
    id_number   varchar not null,
    id_valid    boolean not null,
    operator_id varchar not null,
    reviewer_id varchar,
    old_value   varchar,                        -- an account, an amount or a status, as printed
    new_value   varchar,
    months      integer,                        -- 补发月数
    region_code varchar,
    county      varchar not null,
    source_file varchar not null,
    source_line bigint not null,
    extra_columns json
);

create table if not exists staff (              -- 经办人员信息: one row per staff member and own account
    row_key      bigint not null,
    operator_id  varchar not null,              -- 工号, as payments and operations name them
    id_number    varchar not null,
    id_valid     boolean not null,
    name         varchar not null,
    bank_account varchar,
    unit_name    varchar,
    region_code  varchar,
    source_file  varchar not null,
    source_line  bigint not null,
    extra_columns json
);

create table if not exists management (         -- 管理问题汇总 (sql/management/): one row per finding
    finding_id      varchar not null,           -- 问题编号: stable, from the part and the finding's key
    part            varchar not null,           -- late_stops / desks / staff_clues
    finding_key     varchar not null,
    problem_type    varchar not null,           -- 问题类型
    region_code     varchar,
    stage           varchar not null,           -- 责任环节: 经办 / 审核 / 系统
    operator_id     varchar,                    -- 经办人 (;-joined when several)
    reviewer_id     varchar,                    -- 审核人
    clue_count      integer not null,
    people          integer not null,
    amount          decimal(18, 2) not null,    -- 问题金额
    note            varchar not null,           -- 说明
    clue_ids        varchar not null,           -- ;-joined
    months          integer,                    -- 处置时效: distinct periods paid after the death was registered
    days            integer,                    -- 处置时效: days from the registration to the last such payment
    exposure_amount decimal(18, 2) not null     -- payments to verify (S04), apart from 问题金额
);

create table if not exists tipoffs (           -- 信访举报线索 (reference, optional)
    row_key       bigint not null,
    tip_id        varchar not null,
    received_date date not null,
    name          varchar not null,               -- 被反映人姓名 as written (同音字 happen)
    id_number     varchar,                        -- as given: full, partial (330102********1234) or empty; not normalised
    place         varchar,                        -- a county or township name, or a 6-digit code
    category      varchar,                        -- 冒领 / 重复领取 / 违规领取 / 经办人员问题 / 其他
    content       varchar,
    source_file   varchar not null,
    source_line   bigint not null,
    extra_columns json
);

create table if not exists quarantine (         -- input rows that could not be loaded
    source_file varchar not null,
    source_line bigint not null,
    table_name  varchar not null,
    column_name varchar,
    value       varchar,
    reason      varchar not null
);
