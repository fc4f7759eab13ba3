"""Names, ID numbers and bank card numbers, vectorised."""

from __future__ import annotations

import numpy as np

from fundwatch.idnumber import CHECK_CHARS, WEIGHTS


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖金方俞应楼钱孔"
GIVEN_MALE = "伟强磊军洋勇杰涛明超华建国平文辉力斌刚林鹏飞俊峰宇浩凯健海波宁春荣德福根宝金忠祥新生永志成民卫东兴水松"
GIVEN_FEMALE = "芳娜敏静丽艳娟秀英华慧红玲桂兰霞婷雪琳晨欣佳云春梅萍凤珍琴燕美翠月琼素芬彩菊莲"
RARE_NAMES = ("刘䶮", "王㛃", "陈堃")  # the first two exist only in GB18030, not GBK

BANKS = (  # card prefix, card length, bank
    ("622202", 19, "中国工商银行"), ("622848", 19, "中国农业银行"), ("621700", 19, "中国建设银行"),
    ("621661", 19, "中国银行"), ("622588", 16, "招商银行"), ("622262", 19, "交通银行"),
    ("622909", 18, "兴业银行"), ("621058", 19, "浙江农商银行"),
)
BANK_SHARES = (0.22, 0.18, 0.16, 0.1, 0.08, 0.08, 0.06, 0.12)


def _digits_to_text(digits: np.ndarray) -> np.ndarray:
    width = digits.shape[1]
    raw = np.ascontiguousarray((digits + 48).astype(np.uint8)).view(f"S{width}").ravel()
    return raw.astype(f"U{width}")


def id_numbers(region: np.ndarray, birth: np.ndarray, male: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """Vectorised `idnumber.make_id`: valid 18-character ID numbers."""
    order = 2 * (np.asarray(sequence) % 500) + np.asarray(male, dtype=np.int64)
    birth_text = np.char.replace(np.datetime_as_string(np.asarray(birth, dtype="datetime64[D]")), "-", "")
    first17 = np.char.add(np.char.add(np.asarray(region, dtype="U6"), birth_text),
                          np.char.zfill(order.astype("U3"), 3))
    digits = np.frombuffer(first17.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17).astype(np.int64) - 48
    checks = np.array(list(CHECK_CHARS))[(digits @ np.array(WEIGHTS)) % 11]
    return np.char.add(first17, checks)


def _luhn_check(digits: np.ndarray) -> np.ndarray:
    from_right = np.arange(digits.shape[1])[::-1]
    doubled = np.where(from_right % 2 == 0, digits * 2, digits)
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    return (10 - doubled.sum(axis=1) % 10) % 10


def bank_accounts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct bank card numbers (16–19 digits, valid Luhn check digit)."""
    cards = np.empty(n, dtype="U19")
    todo = np.arange(n)
    while len(todo):
        bank = rng.choice(len(BANKS), len(todo), p=BANK_SHARES)
        for which, (prefix, length, _) in enumerate(BANKS):
            rows = todo[bank == which]
            prefix_digits = np.frombuffer(prefix.encode(), dtype=np.uint8).astype(np.int64) - 48
            body = rng.integers(0, 10, (len(rows), length - len(prefix) - 1))
            digits = np.hstack([np.tile(prefix_digits, (len(rows), 1)), body])
            cards[rows] = _digits_to_text(np.hstack([digits, _luhn_check(digits)[:, None]]))
        _, first = np.unique(cards, return_index=True)
        repeated = np.ones(n, dtype=bool)
        repeated[first] = False
        todo = np.flatnonzero(repeated)
    return cards


def random_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    n = len(male)
    surname_weights = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
    surnames = np.array(list(SURNAMES))[rng.choice(len(SURNAMES), n, p=surname_weights / surname_weights.sum())]
    male_chars, female_chars = np.array(list(GIVEN_MALE)), np.array(list(GIVEN_FEMALE))

    def given() -> np.ndarray:
        return np.where(male, male_chars[rng.integers(0, len(male_chars), n)],
                        female_chars[rng.integers(0, len(female_chars), n)])

    first, second = given(), given()
    two_chars = rng.random(n) < 0.7
    return np.char.add(np.char.add(surnames, first), np.where(two_chars, second, ""))


def ids_avoiding(rng: np.random.Generator, region: np.ndarray, birth: np.ndarray, male: np.ndarray,
                 taken: set[str]) -> np.ndarray:
    sequence = rng.integers(0, 500, len(region))
    reserved = np.array(sorted(taken), dtype="U18")
    while True:
        ids = id_numbers(region, birth, male, sequence)
        _, first = np.unique(ids, return_index=True)
        clash = np.ones(len(ids), dtype=bool)
        clash[first] = False
        clash |= np.isin(ids, reserved)
        if not clash.any():
            return ids
        sequence[clash] = rng.integers(0, 500, int(clash.sum()))
