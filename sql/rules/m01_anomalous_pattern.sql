-- M01 发放模式异常
-- Recipients among the isolation forest's top outliers: a score over the threshold that flags at
-- most $top_share of the scored recipients, and no other person rule explains them.
-- Evidence: everything paid to the person.

with cutoff as (
    select quantile_cont(score, 1 - $top_share) as threshold
    from scores
),

unexplained as (
    select s.id_number, s.score, s.top_features
    from scores as s, cutoff as c
    where s.score > c.threshold
      and s.id_number not in (select h.subject_key
                              from clue_hits as h
                              join rule_catalogue as r using (rule_key)
                              where r.subject = '人员' and h.rule_id <> 'M01')
)

select u.id_number as subject_key,
       p.row_key as payment_key,
       true as improper,
       '异常分值' || printf('%.4f', u.score) || '，在本次评分中居前' || printf('%g', $top_share * 100)
           || '%；主要异常特征：' || u.top_features as evidence
from unexplained as u
join payments as p using (id_number)
