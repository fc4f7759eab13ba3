-- The history database (--history DB): every run's clues and every verification result the teams
-- sent back. Append-only: a new feedback on a clue is a new version, never an update in place.

create table if not exists history_runs (
    run_id      varchar not null,       -- the run's start time and scope
    scope       varchar not null,       -- 'county:330102' or 'city:330102;330105'
    started_at  varchar not null,
    out_dir     varchar not null
);

create table if not exists history_clues (    -- one row per run and clue
    run_id        varchar not null,
    scope         varchar not null,
    clue_id       varchar not null,
    rule_id       varchar not null,
    region_code   varchar not null,
    subject_type  varchar not null,
    period_start  integer,
    period_end    integer,
    payment_count integer not null,
    amount        decimal(18, 2) not null,
    change        varchar not null          -- 新增 / 持续
);

create table if not exists feedback (         -- one row per clue and version of what the team found
    clue_id            varchar not null,
    version            integer not null,
    status             varchar not null,    -- 待核查 / 核查中 / 属实 / 部分属实 / 不属实
    finding            varchar,
    rectification      varchar,
    recovered_amount   decimal(18, 2),
    verdict_period_end integer,             -- the clue's last period when the verdict was given
    source_file        varchar not null,
    source_sheet       varchar,
    source_row         integer not null,
    recorded_at        varchar not null
);

-- The verification workflow (核查销号, CLUES.md): who verifies by when, what is done, what is to be and
-- has been recovered, who signed the clue off and when. Added to histories made before it.
alter table feedback add column if not exists verifier varchar;               -- 核查人
alter table feedback add column if not exists deadline date;                  -- 核查期限
alter table feedback add column if not exists disposal varchar;               -- 处理方式
alter table feedback add column if not exists amount_due decimal(18, 2);      -- 应追回金额
alter table feedback add column if not exists amount_recovered decimal(18, 2); -- 已追回金额
alter table feedback add column if not exists signed_off_by varchar;          -- 销号人
alter table feedback add column if not exists signed_off_on date;             -- 销号日期

create table if not exists history_clue_staff (  -- who handled the payments behind a clue (回避)
    run_id   varchar not null,
    clue_id  varchar not null,
    staff    varchar not null,                 -- a staff ID (经办人 / 审核人) or, with a staff list, a name
    role     varchar not null                  -- 经办 / 审核 / 对象 (the staff member a clue is about)
);
