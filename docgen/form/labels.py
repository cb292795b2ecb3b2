"""Russian names of the form's essentials and fields: for reports, the XLSX card and documents."""

from __future__ import annotations

import re

ESSENTIALS: dict[str, str] = {
    "subject": "1. Предмет договора",
    "price": "2. Цена и условия оплаты",
    "buyer_liability": "3. Ответственность Покупателя за сроки оплаты",
    "delivery": "4. Поставка",
    "seller_liability": "5. Ответственность Продавца за сроки поставки",
    "buyer": "Покупатель",
    "manager": "Менеджер",
}
GENERAL = "Общие сведения"

# Generic paths: list indexes are written as [].
FIELDS: dict[str, str] = {
    "deal": "номер сделки (для исправленной версии)",
    "contract_type": "тип договора",
    "contract_date": "дата договора",
    "division": "направление",
    "manager": "менеджер",
    "manager.name": "ФИО менеджера",
    "manager.email": "e-mail менеджера",
    "buyer": "покупатель",
    "buyer.name": "наименование покупателя",
    "buyer.inn": "ИНН",
    "buyer.kpp": "КПП",
    "buyer.ogrn": "ОГРН / ОГРНИП",
    "buyer.address": "юридический адрес",
    "buyer.signatory": "подписант",
    "buyer.signatory.name": "ФИО подписанта",
    "buyer.signatory.position": "должность подписанта",
    "buyer.signatory.basis": "основание полномочий подписанта",
    "buyer.bank": "банк",
    "buyer.bank.name": "наименование банка",
    "buyer.bank.bik": "БИК",
    "buyer.bank.account": "расчётный счёт",
    "buyer.bank.corr_account": "корреспондентский счёт",
    "buyer.email": "e-mail покупателя",
    "buyer.phone": "телефон покупателя",
    "buyer.contact": "контактное лицо покупателя",
    "subject": "предмет договора",
    "subject.summary": "краткое описание предмета",
    "subject.items": "спецификация",
    "subject.items[]": "позиция спецификации",
    "subject.items[].name": "наименование",
    "subject.items[].unit": "единица измерения",
    "subject.items[].quantity": "количество",
    "subject.items[].unit_price": "цена за единицу без НДС",
    "price": "цена и условия оплаты",
    "price.procedure": "порядок определения цены",
    "price.vat_rate": "ставка НДС",
    "price.payments": "график платежей",
    "price.payments[]": "платёж",
    "price.payments[].share": "доля, %",
    "price.payments[].kind": "вид платежа",
    "price.payments[].due_days": "срок, банковских дней",
    "price.payments[].after": "отсчёт срока платежа",
    "buyer_liability": "ответственность покупателя",
    "buyer_liability.penalty_rate": "пеня, % в день",
    "buyer_liability.penalty_cap": "предел пени, % суммы",
    "delivery": "поставка",
    "delivery.method": "способ поставки",
    "delivery.address": "адрес поставки",
    "delivery.due_days": "срок поставки, рабочих дней",
    "delivery.after": "отсчёт срока поставки",
    "seller_liability": "ответственность продавца",
    "seller_liability.penalty_rate": "пеня, % в день",
    "seller_liability.penalty_cap": "предел пени, % суммы",
    "attachments": "вложения",
    "attachments[]": "вложение",
}

CHOICES: dict[str, dict[str, str]] = {
    "price.procedure": {"fixed": "твёрдая цена", "price_list": "по прайс-листу", "calculation": "по калькуляции"},
    "price.payments[].kind": {"prepayment": "предоплата", "interim": "промежуточный платёж", "final": "окончательный расчёт"},
    "price.payments[].after": {"signing": "подписания договора", "readiness": "уведомления о готовности", "delivery": "поставки"},
    "delivery.method": {"delivery": "доставка", "pickup": "самовывоз"},
    "delivery.after": {"prepayment": "поступления предоплаты", "signing": "подписания договора"},
}

_INDEX = re.compile(r"\[\d+\]")
_INDEX_NUMBER = re.compile(r"\[(\d+)\]")


def generic(path: str) -> str:
    """'subject.items[1].quantity' -> 'subject.items[].quantity'."""
    return _INDEX.sub("[]", path)


def essential_of(path: str) -> str:
    top = path.split(".", 1)[0].split("[", 1)[0]
    return ESSENTIALS.get(top, GENERAL)


def describe(path: str) -> str:
    """A Russian name of a field path, with 1-based positions: «позиция спецификации 2, количество»."""
    label = FIELDS.get(generic(path))
    positions = [str(int(n) + 1) for n in _INDEX_NUMBER.findall(path)]
    if label is None:
        return path
    if positions and generic(path).count("[]"):
        parent = generic(path).split("[]", 1)[0] + "[]"
        head = f"{FIELDS.get(parent, parent)} {positions[0]}"
        return head if generic(path) == parent else f"{head}, {label}"
    return label
