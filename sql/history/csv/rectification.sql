-- rectification.csv (整改成效): per county; rates in percent with two decimals.
select county as "行政区划代码", verified as "已核查线索数", confirmed as "属实线索数",
       printf('%.2f', coalesce(confirmed_share, 0) * 100) as "属实率(%)",
       printf('%.2f', recovered_amount) as "追回金额",
       printf('%.2f', coalesce(rectification_rate, 0) * 100) as "整改率(%)",
       clues as "线索数",
       printf('%.2f', amount_due) as "应追回金额",
       printf('%.2f', amount_recovered) as "已追回金额",
       case when recovery_rate is null then '' else printf('%.2f', recovery_rate * 100) end as "追回率(%)",
       signed_off as "已销号线索数",
       printf('%.2f', coalesce(signed_off_rate, 0) * 100) as "销号率(%)",
       overdue as "逾期未销号线索数",
       rechecked as "抽查复核线索数"
from rectification
order by county
