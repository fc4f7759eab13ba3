-- One row per recipient (ID number) with payments: the payment-pattern features the isolation
-- forest scores. Nothing about who the person is (no gender, age or birthplace): only how and how
-- much they were paid. Amounts are in 元 as DOUBLE here, since the model works in floating point.
-- Monthly features leave out back pay and the one-off benefits paid because of a death (a funeral
-- grant is large but legitimate, and would otherwise make every deceased recipient an outlier).

-- `not materialized` and list_median(list(...)) keep the query's memory bounded (docs/resources.md).
with regular as not materialized (
    select *,
           benefit_type like '%补发%' as is_back_pay,
           list_contains($death_one_off_benefits, benefit_type) as is_death_one_off
    from payments
),

monthly as (
    select id_number, period, sum(amount)::double as month_amount, count(*) as month_payments
    from regular
    where not is_back_pay and not is_death_one_off
    group by id_number, period
),

peer_median as (
    select scheme, benefit_type, list_median(list(amount))::double as peer_amount
    from regular
    where not is_back_pay and not is_death_one_off
    group by scheme, benefit_type
),

main_benefit as (
    select id_number,
           arg_max(scheme, amount) as scheme,
           arg_max(benefit_type, amount) as benefit_type,
           list_median(list(amount))::double as own_amount
    from regular
    where not is_back_pay and not is_death_one_off
    group by id_number
),

gaps as (
    select id_number,
           max(fw_month_index(period) - fw_month_index(previous_period) - 1) as max_gap_months
    from (select id_number, period, lag(period) over (partition by id_number order by period) as previous_period
          from (select distinct id_number, period from regular))
    group by id_number
),

per_person as (
    select id_number,
           arg_min(person_id, (period, row_key)) as person_id,
           arg_min(region_code, (period, row_key)) as region_code,
           count(distinct period) as months_paid,
           coalesce(sum(amount) filter (not is_back_pay and not is_death_one_off), 0)::double
               / count(distinct period) as mean_monthly_amount,
           coalesce(max(amount) filter (not is_back_pay and not is_death_one_off), 0)::double as max_payment,
           count(*) filter (not is_back_pay and not is_death_one_off)::double / count(distinct period)
               as payments_per_period,
           count(distinct bank_account) as accounts_used,
           count(distinct scheme) as schemes,
           coalesce(sum(amount) filter (is_back_pay), 0)::double / nullif(sum(abs(amount)), 0)::double
               as back_pay_share,
           max(date_diff('month', make_date(period // 100, period % 100, 1), pay_date)) as max_pay_lag_months
    from regular
    group by id_number
)

select p.id_number,
       p.person_id,
       p.region_code,
       p.months_paid,
       p.mean_monthly_amount,
       p.max_payment,
       coalesce(m.max_month / nullif(m.median_month, 0), 1) as max_to_median,
       coalesce(b.own_amount / nullif(pm.peer_amount, 0), 1) as relative_to_peers,
       p.payments_per_period,
       p.accounts_used,
       p.schemes,
       coalesce(g.max_gap_months, 0) as max_gap_months,
       coalesce(p.back_pay_share, 0) as back_pay_share,
       greatest(p.max_pay_lag_months, 0) as max_pay_lag_months
from per_person as p
left join (select id_number, max(month_amount) as max_month, list_median(list(month_amount)) as median_month
           from monthly group by id_number) as m using (id_number)
left join main_benefit as b using (id_number)
left join peer_median as pm on pm.scheme = b.scheme and pm.benefit_type = b.benefit_type
left join gaps as g using (id_number)
order by p.id_number
