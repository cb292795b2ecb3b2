"""Checks of Russian requisites: ИНН, ОГРН/ОГРНИП (python-stdnum), КПП, БИК and bank account keys."""

from __future__ import annotations

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

# Weights of the account control key (Bank of Russia regulation 385-П, appendix).
_KEY_WEIGHTS = (7, 1, 3) * 8


def inn_shape_fault(value: str) -> str | None:
    """Why `value` cannot be an ИНН at all (its length), or None; the control number is `inn_fault`'s."""
    if len(value) not in (10, 12):
        return f"ИНН должен состоять из 10 цифр (организация) или 12 цифр (ИП), а в нём {len(value)}"
    return None


def inn_fault(value: str) -> str | None:
    """Why `value` is not a valid ИНН, or None."""
    if shape := inn_shape_fault(value):
        return shape
    try:
        stdnum_inn.validate(value)
    except StdnumError:
        return "неверное контрольное число ИНН — проверьте цифры"
    return None


def ogrn_shape_fault(value: str) -> str | None:
    if len(value) not in (13, 15):
        return f"ОГРН должен состоять из 13 цифр (ОГРНИП — из 15), а в нём {len(value)}"
    return None


def ogrn_fault(value: str) -> str | None:
    """Why `value` is not a valid ОГРН (13 digits) or ОГРНИП (15 digits), or None."""
    if shape := ogrn_shape_fault(value):
        return shape
    try:
        stdnum_ogrn.validate(value)
    except StdnumError:
        return "неверное контрольное число ОГРН — проверьте цифры"
    return None


def kpp_fault(value: str) -> str | None:
    if len(value) != 9:
        return f"КПП должен состоять из 9 цифр, а в нём {len(value)}"
    return None


def bik_fault(value: str) -> str | None:
    if len(value) != 9:
        return f"БИК должен состоять из 9 цифр, а в нём {len(value)}"
    return None


def account_fault(value: str) -> str | None:
    if len(value) != 20:
        return f"счёт должен состоять из 20 цифр, а в нём {len(value)}"
    return None


def account_key_ok(bik: str, account: str, *, correspondent: bool = False) -> bool:
    """The control key of a 20-digit account against its bank's БИК."""
    prefix = "0" + bik[4:6] if correspondent else bik[-3:]
    digits = prefix + account
    return sum(int(d) * w % 10 for d, w in zip(digits, _KEY_WEIGHTS)) % 10 == 0
