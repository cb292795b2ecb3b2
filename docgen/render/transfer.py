"""The agreement on the transfer of a client: its small form, its context and its document."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationError
from pydantic_core import PydanticCustomError

from docgen.errors import Fault, FormInvalid, FormUnreadable
from docgen.form import requisites
from docgen.form.labels import generic
from docgen.form.model import Digits, Email, FormDate, Number, Part, Text
from docgen.form.readers import parse_form
from docgen.form.report import faults_from
from docgen.render.context import Record
from docgen.render.docx import render_document
from docgen.settings import Settings
from docgen.workspace import Workspace

TEMPLATE = "client-transfer.docx"

FIELDS = {
    "date": "дата соглашения",
    "transfer_date": "дата, с которой клиент переходит",
    "employee": "кто передаёт клиента",
    "employee.name": "ФИО передающего",
    "employee.position": "должность передающего",
    "employee.email": "адрес электронной почты передающего",
    "manager": "клиент-менеджер, который принимает клиента",
    "manager.name": "ФИО клиент-менеджера",
    "manager.position": "должность клиент-менеджера",
    "manager.email": "адрес электронной почты клиент-менеджера",
    "approver": "кто согласует передачу",
    "approver.name": "ФИО согласующего",
    "approver.position": "должность согласующего",
    "approver.email": "адрес электронной почты согласующего",
    "client": "клиент",
    "client.name": "наименование клиента",
    "client.inn": "ИНН клиента",
    "client.contact": "контактное лицо клиента",
    "deals": "открытые сделки",
    "deals[].number": "номер сделки",
    "deals[].summary": "предмет сделки",
    "deals[].amount": "сумма сделки",
    "reason": "основание передачи",
}


def _inn(value: str) -> str:
    fault = requisites.inn_fault(value)
    if fault:
        raise PydanticCustomError("requisite", fault)
    return value


class Employee(Part):
    name: Text
    position: Text
    email: Email | None = None  # the receiving manager's: the letters of the deals go there from now on


class Client(Part):
    name: Text
    inn: Annotated[Digits, AfterValidator(_inn)]
    contact: str | None = None


class OpenDeal(Part):
    """A deal the agreement hands over; its subject and amount are the store's (docgen.workflow.transfer)."""

    number: Text
    summary: Text | None = None
    amount: Number | None = None


class TransferForm(Part):
    """The form of `docgen transfer-client`, as templates/forms/client-transfer.yaml shows it."""

    date: FormDate
    transfer_date: FormDate | None = None
    employee: Employee
    manager: Employee
    approver: Employee | None = None
    client: Client
    deals: list[OpenDeal] = []
    reason: Text = "Передающий не может далее вести клиента."


def read_transfer_form(path: Path, *, max_bytes: int) -> TransferForm:
    """Read and check the form; FormInvalid lists every fault by field, in Russian."""
    if not path.is_file():
        raise FormUnreadable(path.name, f"файла {path} нет")
    raw = parse_form(path.name, path.read_bytes(), max_bytes=max_bytes)
    try:
        return TransferForm.model_validate(raw.data)
    except ValidationError as exc:
        raise FormInvalid(path.name, faults_from(exc, fields=FIELDS)) from None


def describe(fault: Fault) -> str:
    """One line of the report on a bad transfer form: «ИНН клиента (client.inn): …»."""
    label = FIELDS.get(generic(fault.field))
    where = f"{label} ({fault.field})" if label else fault.field or "форма"
    return f"{where}: {fault.message}"


def transfer_number(form: TransferForm) -> str:
    """The agreement's number: the client's ИНН and the date, so a re-issued one is recognised."""
    return f"ПК-{form.client.inn}-{form.date:%Y%m%d}"


def transfer_context(form: TransferForm, *, settings: Settings) -> dict[str, Any]:
    """Every name the client transfer template may use."""
    company = settings.company
    return {
        "number": transfer_number(form),
        "date": form.date,
        "transfer_date": form.transfer_date or form.date,
        "company": Record(name=company.name, full_name=company.full_name, city=company.city,
                          inn=company.inn, address=company.address),
        "employee": _employee(form.employee),
        "manager": _employee(form.manager),
        "approver": _employee(form.approver) if form.approver else None,
        "client": Record(name=form.client.name, inn=form.client.inn, contact=form.client.contact),
        "deals": [Record(number=d.number, summary=d.summary or "", amount=d.amount) for d in form.deals],
        "reason": form.reason,
    }


def _employee(person: Employee) -> Record:
    return Record(name=person.name, position=person.position)


def render_transfer(form: TransferForm, *, ws: Workspace) -> bytes:
    """The signed-to-be agreement on the transfer of a client, as DOCX bytes."""
    context = transfer_context(form, settings=ws.settings)
    number = context["number"]
    return render_document(ws.contract_templates / TEMPLATE, context, number=number, version=1,
                           title=f"Соглашение о передаче клиента {form.client.name}")
