"""The mail templates under `docgen templates check` and `docgen doctor`: each text against the names
its kind of notice really gets, so a typo such as {{ clientt }} shows before a letter is due."""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2 import meta

from docgen.errors import TemplateError
from docgen.mail.notice import CONTEXT_NAMES, GIVEN_NAMES, KIND_TITLES, OPTIONAL_NAMES, NoticeKind, environment, render
from docgen.mail.notice import template_dirs
from docgen.render import tags
from docgen.render.check import Problem
from docgen.workspace import Workspace

# A value for every name a notice may get, as the workflow would give it.
SAMPLE: dict[str, object] = {
    "deal": "2026-0001", "version": 2, "client": "ООО «Ромашка & Ко»", "inn": "5027012348",
    "total": "2\u00a0023\u00a0980,00", "manager": "Петров Пётр Сергеевич", "folder": "outbox/lawyer/",
    "role_title": "Юрист", "returned_by": "Юрист", "comments": ["п. 4.2: уточнить срок"],
    "support": "Менеджер по сопровождению <support@company.example>",
    "originals": ["Договор 2026-0001 — 2 экз., подписанные сторонами"], "files": ["КМ.pdf"], "attached": True,
    "form": "сделка.yaml", "faults": ["Покупатель, ИНН (buyer.inn): неверное контрольное число ИНН"],
    "prepaid_on": "20.01.2027", "prepaid": "607\u00a0194,00", "delivery_due": "26.03.2027",
    "delivery_term": "45\u00a0рабочих дней с даты поступления предоплаты", "stage": "soon", "obligation": "payment",
    "title": "Платёж 1: предоплата 30\u00a0%", "amount": "607\u00a0194,00", "outstanding": "607\u00a0194,00",
    "days_left": 3, "overdue_days": 0, "penalty": "0,00", "rate": "0,1", "cap": "10",
    "penalty_from": "15.01.2027", "statement": "kl_to_1c.txt", "documents": 3, "incoming": 2, "new": 2,
    "matched": ["строка 20: п/п № 412 … → сделка 2026-0001"],
    "unmatched": ["строка 45: п/п № 77 … — нет сделок с покупателем ИНН 7736207543"],
    "why": "строка 12: «Сумма=десять»: сумма должна быть положительным числом", "on": "25.01.2027",
    "debt": "307\u00a0194,00", "claim_total": "311\u00a0773,14", "answer_days": 10,
    "deputy_for": "Юрист Компании", "approved_by": "Юрист, Руководитель Финансового департамента",
    "draft": "2026-0001 v2 Договор — ООО «Ромашка & Ко».docx", "since": "26.11.2026 10:15", "due": "30.11.2026",
    "days_overdue": 2, "holder": "Юрист Компании", "stood_in_for": "Юрист Компании", "before": "Заместитель юриста",
    "warnings": ["Общие сведения, дата договора (contract_date): дата договора 20.11.2026 уже прошла"],
    "title": "досье сделки 2026-0001 повреждено", "lines": ["нет папки досье"], "where": "clients/",
    "todo": "восстановите папку из резервной копии", "workspace": "/srv/docgen",
    "cancelled_by": "Петров Пётр Сергеевич", "reason": ["Клиент отказался от заказа"], "stage_was": "у юриста",
    "held_by": ["Юрист"], "number": "ПК-5027012348-20261126", "transfer_date": "01.12.2026",
    "employee": "Кузнецов Андрей Викторович", "previous": "Петров Пётр Сергеевич",
    "new_manager": "Смирнова Ольга Петровна",
    "deals": ["2026-0001 — Металлоконструкции каркаса склада, 2\u00a0023\u00a0980,00 руб. (у юриста)"],
    "greeting": "Елена Викторовна, здравствуйте.",
}


def check_mail_templates(ws: Workspace) -> tuple[list[str], list[Problem]]:
    """The mail templates checked (names of the files used) and the problems found in them."""
    dirs = template_dirs(ws)
    checked, problems = [], []
    for kind in NoticeKind:
        name = f"{kind}.txt"
        checked.append(name)
        problems += _check_kind(kind, dirs)
    own = sorted(p.name for p in ws.mail_templates.glob("*.txt")) if ws.mail_templates.is_dir() else []
    for stray in (n for n in own if n.removesuffix(".txt") not in set(NoticeKind)):
        problems.append(Problem(stray, f"Шаблон письма {stray}: такого письма docgen не отправляет, файл не "
                                       f"используется (письма: {', '.join(sorted(k + '.txt' for k in NoticeKind))})",
                                fatal=False))
    return checked, problems


def _check_kind(kind: NoticeKind, dirs: tuple[Path, ...]) -> list[Problem]:
    name = f"{kind}.txt"
    names = CONTEXT_NAMES.get(kind)
    try:
        env = environment(dirs)
        source, _, _ = env.loader.get_source(env, name)
        ast = env.parse(source)
    except jinja2.TemplateNotFound:
        return [Problem(name, f"Нет шаблона письма {name} в templates/mail/")]
    except jinja2.TemplateSyntaxError as exc:
        return [Problem(name, f"Шаблон письма {name}, строка {exc.lineno}: {tags.syntax_message(exc.message or '')}")]
    if names is None:
        return []  # a kind without its table of names: only the syntax can be checked
    known = names | OPTIONAL_NAMES.get(kind, frozenset()) | GIVEN_NAMES
    problems = [Problem(name, f"Шаблон письма {name}: неизвестное имя «{unknown}»; письмо «{KIND_TITLES[kind]}» "
                              f"получает: {', '.join(sorted(known))}", variable=unknown)
                for unknown in sorted(meta.find_undeclared_variables(ast) - known)]
    if problems:
        return problems
    for context in ({n: SAMPLE[n] for n in known}, {n: SAMPLE[n] for n in names | GIVEN_NAMES}):
        try:
            render(kind, templates=dirs, context=context)
        except TemplateError as exc:
            return [Problem(name, str(exc), variable=exc.variable)]
    return []
