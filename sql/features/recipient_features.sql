-- One row per recipient (ID number) with payments: the payment-pattern features the isolation
-- forest scores. Nothing about who the person is (no gender, age or birthplace): only how and how
-- much they were paid. Amounts are in 元 as DOUBLE here, since the model works in floating point.
-- Monthly features leave out back pay and the one-off benefits paid because of a death (a funeral
-- grant is large but legitimate, and would otherwise make every deceased recipient an outlier).
-- Payments are what was paid: rows of paid groups that count (net of reversals and payments not
-- received; sql/models/paid_payments.sql).

-- `not materialized` and list_median(list(...)) keep the query's memory bounded (docs/resources.md).
-- Three passes over the payments: per recipient, per recipient and period, per scheme and benefit.
with regular as not materialized (
    select *,
           not (benefit_type like '%补发%' or coalesce(benefit_category, '') in ('pension_back_pay', 'death_one_off'))
               as is_regular,
           benefit_type like '%补发%' or benefit_category = 'pension_back_pay' as is_back_pay
    from paid_payments
    where group_paid and counted
),

per_month as (
    select id_number, period,
           sum(amount) filter (is_regular)::double as month_amount  -- null: no regular payment that month
    from regular
    group by id_number, period
),

per_month_summary as (
    select id_number,
           count(*) as months_paid,
           max(month_amount) as max_month,
           list_median(list(month_amount) filter (month_amount is not null)) as median_month,
           list_sort(list(fw_month_index(period))) as month_indexes
    from per_month
    group by id_number
),

peer_median as (
    select scheme, benefit_type, list_median(list(amount))::double as peer_amount
    from regular
    where is_regular
    group by scheme, benefit_type
),

per_person as (
    select id_number,
           arg_min(person_id, (period, row_key)) as person_id,
           arg_min(region_code, (period, row_key)) as region_code,
           coalesce(sum(amount) filter (is_regular), 0)::double as regular_amount,
           coalesce(max(amount) filter (is_regular), 0)::double as max_payment,
           count(*) filter (is_regular)::double as regular_payments,
           count(distinct bank_account) as accounts_used,
           count(distinct scheme) as schemes,
           coalesce(sum(amount) filter (is_back_pay), 0)::double / nullif(sum(abs(amount)), 0)::double
               as back_pay_share,
           max(date_diff('month', make_date(period // 100, period % 100, 1), pay_date)) as max_pay_lag_months,
           arg_max(scheme, amount) filter (is_regular) as main_scheme,
           arg_max(benefit_type, amount) filter (is_regular) as main_benefit_type,
           list_median(list(amount) filter (is_regular))::double as own_amount
    from regular
    group by id_number
)

select p.id_number,
       p.person_id,
       p.region_code,
       m.months_paid,
       p.regular_amount / m.months_paid as mean_monthly_amount,
       p.max_payment,
       coalesce(m.max_month / nullif(m.median_month, 0), 1) as max_to_median,
       coalesce(p.own_amount / nullif(pm.peer_amount, 0), 1) as relative_to_peers,
       p.regular_payments / m.months_paid as payments_per_period,
       p.accounts_used,
       p.schemes,
       coalesce(list_max(list_transform(range(1, len(m.month_indexes)),
                                        lambda i: m.month_indexes[i + 1] - m.month_indexes[i] - 1)), 0)
           as max_gap_months,
       coalesce(p.back_pay_share, 0) as back_pay_share,
       greatest(p.max_pay_lag_months, 0) as max_pay_lag_months
from per_person as p
join per_month_summary as m using (id_number)
left join peer_median as pm on pm.scheme = p.main_scheme and pm.benefit_type = p.main_benefit_type
order by p.id_number
