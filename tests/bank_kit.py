"""Bank statements for tests (no tests here): 1CClientBankExchange files as a bank client writes them."""

from __future__ import annotations

import datetime as dt

from docgen.settings import BankSettings, CompanySettings

COMPANY_ACCOUNT = BankSettings().account
COMPANY_INN = CompanySettings().inn
BUYER_INN = "5027012348"      # the example form's buyer
BUYER_ACCOUNT = "40702810640000012345"


def payment(number: str, day: dt.date, amount: str, *, purpose: str, payer_inn: str = BUYER_INN,
            payer: str = "ООО «Ромашка & Ко»", payer_account: str = BUYER_ACCOUNT,
            to: str = COMPANY_ACCOUNT, incoming: bool = True) -> dict[str, str]:
    stamp = f"{day:%d.%m.%Y}"
    doc = {"Номер": number, "Дата": stamp, "Сумма": amount, "ПлательщикСчет": payer_account,
           "ДатаСписано": "" if incoming else stamp, "Плательщик": f"ИНН {payer_inn} {payer}",
           "ПлательщикИНН": payer_inn, "Плательщик1": payer, "ПлательщикРасчСчет": payer_account,
           "ПлательщикБанк1": "ПАО Сбербанк", "ПлательщикБИК": "044525225",
           "ПолучательСчет": to, "ДатаПоступило": stamp if incoming else "",
           "Получатель": f"ИНН {COMPANY_INN} ООО «АМС»", "ПолучательИНН": COMPANY_INN, "Получатель1": "ООО «АМС»",
           "ПолучательРасчСчет": to, "ВидОплаты": "01", "Очередность": "5", "НазначениеПлатежа": purpose}
    return doc


def statement(documents: list[dict[str, str]], *, first: dt.date, last: dt.date, account: str = COMPANY_ACCOUNT,
              encoding: str = "cp1251") -> bytes:
    """The statement text with CRLF line ends, in `encoding` (cp1251 as banks write it, or utf-8)."""
    lines = ["1CClientBankExchange", "ВерсияФормата=1.03",
             f"Кодировка={'Windows' if encoding == 'cp1251' else 'UTF-8'}",
             "Отправитель=Сбербанк Бизнес Онлайн", "Получатель=Бухгалтерия", f"ДатаСоздания={last:%d.%m.%Y}",
             "ВремяСоздания=18:00:00", f"ДатаНачала={first:%d.%m.%Y}", f"ДатаКонца={last:%d.%m.%Y}",
             f"РасчСчет={account}", "СекцияРасчСчет", f"ДатаНачала={first:%d.%m.%Y}",
             f"ДатаКонца={last:%d.%m.%Y}", f"РасчСчет={account}", "НачальныйОстаток=1000000.00",
             "ВсегоПоступило=0.00", "ВсегоСписано=0.00", "КонечныйОстаток=1000000.00", "КонецРасчСчет"]
    for doc in documents:
        lines.append("СекцияДокумент=Платежное поручение")
        lines += [f"{key}={value}" for key, value in doc.items()]
        lines.append("КонецДокумента")
    lines.append("КонецФайла")
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
