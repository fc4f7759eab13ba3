-- Formatting used in evidence sentences (疑点描述).

create or replace macro fw_yuan(x) as format('{:,.2f}', x::decimal(18, 2)) || '元';

create or replace macro fw_period_span(first_period, last_period) as
    case when first_period = last_period then first_period::varchar
         else first_period::varchar || '至' || last_period::varchar end;

create or replace macro fw_day(d) as strftime(d, '%Y-%m-%d');
