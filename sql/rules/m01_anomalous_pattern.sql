-- M01 发放模式异常
-- Recipients among the isolation forest's top outliers: a score over the threshold that flags at
-- most $top_share of the scored recipients, and no other person rule explains them.
-- Evidence and amount: everything paid to the person (net of reversals and payments not received).

with cutoff as (
    select quantile_cont(score, 1 - $top_share) as threshold
    from scores
),

unexplained as (
    select s.id_number, s.score, s.top_features
    from scores as s, cutoff as c
    where s.score > c.threshold
      and not exists (select 1
                      from clue_hits as h
                      join rule_catalogue as r using (rule_key)
                      where h.subject_key = s.id_number and r.subject = '人员' and h.rule_id <> 'M01')
)

select u.id_number as subject_key,
       p.row_key as payment_key,
       p.counted as improper,
       '异常分值' || printf('%.4f', u.score) || '，在本次评分中居前' || printf('%g', $top_share * 100)
           || '%；主要异常特征：' || u.top_features as evidence
from unexplained as u
join paid_payments as p on p.id_number = u.id_number and p.group_paid
