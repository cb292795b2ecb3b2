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
    "deal": "номер сделки",
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

# What each field wants, with an example: the XLSX card shows it beside the field.
HINTS: dict[str, str] = {
    "deal": "пусто для новой сделки; номер сделки — только для исправленной формы после возврата, "
            "например 2026-0001",
    "contract_type": "вид договора из списка, например «договор поставки»",
    "contract_date": "например 20.11.2026; пусто — договор получит дату подписания",
    "division": "направление из списка: его директор подписывает договор",
    "manager.name": "ваши фамилия, имя, отчество, например Петров Пётр Сергеевич",
    "manager.email": "ваш e-mail, сюда придут письма о сделке, например petrov@ams.example",
    "buyer.name": "как в выписке ЕГРЮЛ/ЕГРИП, например ООО «Ромашка & Ко» или ИП Петрова Анна Сергеевна",
    "buyer.inn": "10 цифр у организации, 12 — у ИП, например 5027012348",
    "buyer.kpp": "9 цифр, например 502701001; обязателен для организации, у ИП КПП нет",
    "buyer.ogrn": "ОГРН организации — 13 цифр (обязателен), ОГРНИП — 15 цифр",
    "buyer.address": "юридический адрес с индексом, например 140000, Московская обл., г. Люберцы, ул. Заводская, д. 3",
    "buyer.signatory.name": "кто подписывает за покупателя, полностью, например Иванов Иван Иванович",
    "buyer.signatory.position": "например Генеральный директор",
    "buyer.signatory.basis": "в родительном падеже, как в договоре после «действующего на основании»: «Устава», "
                             "«доверенности № 5 от 01.02.2026»; у ИП — «листа записи ЕГРИП»",
    "buyer.bank.name": "например ПАО Сбербанк",
    "buyer.bank.bik": "9 цифр, например 044525225",
    "buyer.bank.account": "20 цифр, например 40702810640000012345; сверяется с БИК",
    "buyer.bank.corr_account": "20 цифр, начинается с 301, например 30101810400000000225",
    "buyer.email": "необязательно, например zakupki@romashka.example",
    "buyer.phone": "необязательно, например +7 495 000-00-00",
    "buyer.contact": "необязательно: кого звать по сделке, для «Ввода в Производство», например Смирнов Олег, "
                     "+7 916 000-00-01",
    "subject.summary": "что продаём, одной фразой, например «Изготовление и поставка металлоконструкций каркаса склада»",
    "subject.items[].name": "например Колонна К-1",
    "subject.items[].unit": "например шт, т, м²",
    "subject.items[].quantity": "например 12 или 4,5",
    "subject.items[].unit_price": "рубли без НДС, не больше двух знаков после запятой, например 85 000,00",
    "price.procedure": "как определена цена по Кодексу Компании: твёрдая, по прайс-листу или по калькуляции",
    "price.vat_rate": "пусто — основная ставка на дату договора (22 % с 2026 года); другая ставка или «без НДС» — "
                      "только когда это законно",
    "price.payments[].share": "процент цены договора, например 30 %; доли вместе — ровно 100 %",
    "price.payments[].kind": "предоплата, промежуточный платёж или окончательный расчёт",
    "price.payments[].due_days": "банковских дней на оплату, например 5",
    "price.payments[].after": "от какого события считается срок оплаты",
    "buyer_liability.penalty_rate": "пеня за просрочку оплаты, % от долга в день, например 0,1 %",
    "buyer_liability.penalty_cap": "общий предел пени, % от долга, например 10 %",
    "delivery.method": "доставка (нужен адрес) или самовывоз",
    "delivery.address": "куда везти, с индексом; при самовывозе можно оставить пустым — склад Продавца из настроек",
    "delivery.due_days": "рабочих дней на поставку, например 45",
    "delivery.after": "от какого события считается срок поставки",
    "seller_liability.penalty_rate": "пеня Продавца за просрочку поставки, % в день, например 0,1 %",
    "seller_liability.penalty_cap": "общий предел пени, % от стоимости непоставленного, например 10 %",
    "attachments": "имена файлов технической документации из того же ZIP через «;», например КМ-1.pdf; Геология.pdf",
}

# The contract types docgen ships, by their template's name; a workspace's own template is named by its file.
CONTRACT_TYPES: dict[str, str] = {"supply": "договор поставки", "works": "договор подряда"}

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


def section_fields(section: str) -> list[str]:
    """The Russian names of the fields directly inside a section: for «the section is missing» messages."""
    prefix = f"{section}."
    return [label for path, label in FIELDS.items()
            if path.startswith(prefix) and not any(c in path[len(prefix):] for c in ".[")]


_RANK = {path: n for n, path in enumerate(FIELDS)}


def in_form_order(faults: list) -> list:
    """Faults sorted as the form reads, top to bottom: a whole-file fault first, list items by position."""
    return sorted(faults, key=lambda fault: _order_key(fault.field))


def _order_key(path: str) -> tuple:
    if not path:
        return (-1, [], -1)
    top = path.split(".", 1)[0].split("[", 1)[0]
    return (_rank_of(top), [int(n) for n in _INDEX_NUMBER.findall(path)], _rank_of(generic(path)))


def _rank_of(path: str) -> int:
    while path:
        if path in _RANK:
            return _RANK[path]
        path = path.rpartition(".")[0] if "." in path else path.removesuffix("[]") if path.endswith("[]") else ""
    return len(_RANK)
