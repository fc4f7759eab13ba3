"""Codes and vocabularies of the synthetic city: counties, schemes, benefit types, statuses, units,
employers, offences, the departments that report deaths, and policy dates.
"""

from __future__ import annotations

COUNTY_NAMES = {
    "330102": "上城区", "330105": "拱墅区", "330106": "西湖区", "330108": "滨江区",
    "330109": "萧山区", "330110": "余杭区", "330111": "富阳区", "330112": "临安区",
    "330113": "临平区", "330114": "钱塘区", "330122": "桐庐县", "330127": "淳安县",
    "330182": "建德市",
}
CITY_COUNTIES = tuple(COUNTY_NAMES)
# 下城区 and 江干区 were merged away in 2021; older ID numbers still carry their codes.
FORMER_COUNTIES = ("330103", "330104")
# Address codes that are no GB/T 2260 division code of any year (tests/test_synth.py checks), for
# fabricated ID numbers with a correct check digit: the first two look like Zhejiang's.
FABRICATED_AREAS = ("339900", "330199", "999999", "000000", "123456")
# Real codes on real people's numbers that are not the county they are paid in: a former county, a
# district created after the person was born, a code in use only 1990-1994 (霸州市 before it became
# 131081), a prefecture-level city without counties (东莞市).
REAL_OTHER_AREAS = (("330104", "江干区, abolished in 2021"), ("330114", "钱塘区, created in 2021"),
                    ("139002", "霸州市, a code of 1990-1994"), ("441900", "东莞市, a city without counties"))


SCHEME_NAMES = {
    "110": "企业职工基本养老保险", "120": "机关事业单位基本养老保险", "170": "城乡居民基本养老保险",
    "210": "失业保险", "410": "工伤保险",
}
PENSION = "基本养老金"
BACK_PAY = "基本养老金补发"
UNEMPLOYMENT = "失业保险金"
INJURY = "伤残津贴"
FUNERAL = "丧葬补助金"
SURVIVOR = "抚恤金"
ACCOUNT_REFUND = "个人账户余额退还"
LUMP_SUM_SURVIVOR = "一次性抚恤金"
DEPENDANT_BENEFIT = "供养亲属抚恤金"
SURVIVOR_BENEFIT = "遗属待遇"
BASIC_PENSION = "基础养老金"
ACCOUNT_PENSION = "个人账户养老金"
PENSION_TYPES = frozenset({PENSION, BASIC_PENSION, ACCOUNT_PENSION, "过渡性养老金"})
DEATH_RELATED = frozenset({FUNERAL, "丧葬费", SURVIVOR, LUMP_SUM_SURVIVOR, "一次性死亡待遇", ACCOUNT_REFUND,
                           "个人账户余额继承", DEPENDANT_BENEFIT, SURVIVOR_BENEFIT, "遗属生活困难补助费"})
SUCCEEDED, FAILED, RETURNED = "成功", "失败", "退回"
NORMAL, SPECIAL, ILLNESS, OTHER = "正常退休", "特殊工种提前退休", "因病提前退休", "其他"


PUBLIC_UNITS = ("教育局", "人民医院", "财政局", "街道办事处", "第一中学", "疾病预防控制中心", "市场监督管理局",
                "实验小学", "卫生健康局", "人力资源和社会保障局")
EMPLOYERS = ("建设集团有限公司", "纺织有限公司", "物流有限公司", "电子科技有限公司", "物业管理有限公司",
             "食品有限公司", "机械制造有限公司", "商贸有限公司")
OFFENCES = ("盗窃罪", "诈骗罪", "故意伤害罪", "危险驾驶罪", "交通肇事罪", "贪污罪", "开设赌场罪")
DEATH_SOURCES = ("公安", "民政", "卫健")
DEATH_DATE_STYLE = {"公安": "compact", "民政": "iso", "卫健": "slash"}  # each department's own format


STAFF_PER_COUNTY = 10
FIRST_MONTH_OF_1998 = 1998 * 12
RESIDENT_SCHEME_LAUNCH = 2009 * 12 + 6  # 新农保 pilots, July 2009
