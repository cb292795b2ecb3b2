"""1CClientBankExchange statements read, refused with the line at fault, and matched to deals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bank_kit import BUYER_INN, COMPANY_ACCOUNT, COMPANY_INN, payment, statement
from obligations_kit import D
from docgen.errors import StatementInvalid
from docgen.obligations.matching import Candidate, DealIndex, incoming, match
from docgen.obligations.statement import parse

OTHER_INN = "7736207543"


def one_day(*docs, encoding="cp1251") -> bytes:
    return statement(list(docs), first=D(2027, 1, 20), last=D(2027, 1, 20), encoding=encoding)


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8"])
def test_a_statement_is_read_in_either_encoding(encoding):
    data = one_day(payment("412", D(2027, 1, 20), "607194.00", purpose="Предоплата по дог. № 2026-0001, в т.ч. НДС"),
                   encoding=encoding)
    st = parse(data)
    assert st.encoding == encoding and st.accounts == (COMPANY_ACCOUNT,)
    (doc,) = st.documents
    assert doc.number == "412" and doc.amount == Decimal("607194.00") and doc.day == D(2027, 1, 20)
    assert doc.payer_inn == BUYER_INN and doc.payer == "ООО «Ромашка & Ко»"
    assert doc.purpose == "Предоплата по дог. № 2026-0001, в т.ч. НДС"
    assert st.header["ВерсияФормата"] == "1.03"


def test_the_same_payment_in_two_statements_has_one_identity():
    doc = payment("412", D(2027, 1, 20), "607194.00", purpose="оплата")
    first = parse(statement([doc], first=D(2027, 1, 19), last=D(2027, 1, 20))).documents[0]
    second = parse(statement([doc], first=D(2027, 1, 20), last=D(2027, 1, 21), encoding="utf-8")).documents[0]
    other = parse(one_day(payment("413", D(2027, 1, 20), "607194.00", purpose="оплата"))).documents[0]
    assert first.identity == second.identity != other.identity


def _broken(text: str) -> str:
    with pytest.raises(StatementInvalid) as caught:
        parse(text.replace("\n", "\r\n").encode("cp1251"))
    return str(caught.value)


def test_a_malformed_statement_is_refused_naming_the_line():
    good = one_day(payment("1", D(2027, 1, 20), "10.00", purpose="x")).decode("cp1251").replace("\r\n", "\n")
    assert _broken("Выписка по счёту\n" + good).startswith(
        "строка 1: файл должен начинаться строкой «1CClientBankExchange»")
    lines = good.splitlines()
    assert "нет завершающей строки «КонецФайла»" in _broken("\n".join(lines[:-1]))
    assert _broken("\n".join(lines[:-3])) == (  # cut inside the last document
        "строка 20: документ «Платежное поручение» со строки 20 не закрыт строкой «КонецДокумента»: файл обрывается")
    amount = lines.index("Сумма=10.00") + 1
    assert _broken(good.replace("Сумма=10.00", "Сумма=десять")).startswith(
        f"строка {amount}: «Сумма=десять»: сумма должна быть положительным числом")
    day = lines.index("Дата=20.01.2027") + 1
    assert _broken(good.replace("Дата=20.01.2027", "Дата=2027-01-20")).startswith(f"строка {day}: «Дата=2027-01-20»")
    unclosed = good.replace("КонецДокумента\n", "")
    message = _broken(unclosed)
    assert "не закрыт строкой «КонецДокумента»" in message and message.startswith(f"строка {len(lines) - 1}:")
    garbage = good.replace("Очередность=5", "просто текст")
    assert "не вида «Ключ=Значение»" in _broken(garbage)
    with pytest.raises(StatementInvalid, match="не текстовый"):
        parse(b"\x00\x01PK")


def test_only_money_to_the_companys_account_from_others_is_incoming():
    st = parse(one_day(
        payment("1", D(2027, 1, 20), "10.00", purpose="ours"),
        payment("2", D(2027, 1, 20), "20.00", purpose="to another account", to="40702810000000000099"),
        payment("3", D(2027, 1, 20), "30.00", purpose="paid out", incoming=False),
        payment("4", D(2027, 1, 20), "40.00", purpose="own transfer", payer_inn=COMPANY_INN)))
    assert [d.number for d in incoming(st, account=COMPANY_ACCOUNT, company_inn=COMPANY_INN)] == ["1"]


def _index(*candidates: Candidate) -> DealIndex:
    return DealIndex(candidates, pattern="{year}-{seq:04d}")


def _doc(purpose: str, *, inn: str = BUYER_INN, amount: str = "100.00"):
    return parse(one_day(payment("7", D(2027, 1, 20), amount, purpose=purpose, payer_inn=inn))).documents[0]


@pytest.mark.parametrize("purpose", ["Оплата по договору № 2026-0002 от 20.11.2026", "N2026-0002",
                                     "оплата дог. 2026-0002, НДС 22%", "по счёту №2026 - 0002"])
def test_the_deal_number_in_the_purpose_in_its_usual_forms(purpose):
    index = _index(Candidate("2026-0001", BUYER_INN, True, Decimal("5")),
                   Candidate("2026-0002", BUYER_INN, True, Decimal("5")))
    assert match(_doc(purpose), index).deal == "2026-0002"


def test_no_number_matches_the_payers_only_open_signed_deal_until_it_is_paid():
    index = _index(Candidate("2026-0001", BUYER_INN, True, Decimal("150.00")),
                   Candidate("2026-0002", BUYER_INN, False, Decimal("900.00")),   # not signed yet
                   Candidate("2026-0003", BUYER_INN, True, Decimal("0.00")))      # paid in full
    first = match(_doc("Оплата по счёту 15 от 01.12.2026"), index)
    assert first.deal == "2026-0001" and "одна подписанная неоплаченная сделка" in first.how
    second = match(_doc("Оплата по счёту 15 от 01.12.2026", amount="60.00"), index)
    assert second.deal == "2026-0001"  # 50,00 was still owed
    third = match(_doc("Оплата по счёту 15 от 01.12.2026"), index)
    assert third.deal is None and "нет подписанных сделок с неоплаченными платежами" in third.how


def test_unmatched_payments_say_why():
    index = _index(Candidate("2026-0001", BUYER_INN, True, Decimal("5")),
                   Candidate("2026-0002", BUYER_INN, True, Decimal("5")),
                   Candidate("2026-0003", OTHER_INN, True, Decimal("5")))
    assert "несколько неоплаченных сделок (2026-0001, 2026-0002)" in match(_doc("оплата"), index).how
    assert "несколько сделок (2026-0001, 2026-0002)" in match(_doc("по 2026-0001 и 2026-0002"), index).how
    assert "её покупатель — ИНН 7736207543" in match(_doc("по 2026-0003"), index).how
    assert match(_doc("оплата", inn="7707083893"), index).how == "нет сделок с покупателем ИНН 7707083893"
    assert match(_doc("оплата", inn=""), index).how == "в платеже нет ИНН плательщика"
