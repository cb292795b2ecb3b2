"""A notice: one e-mail rendered from templates/mail/<kind>.txt, with who gets it; no IO but the template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from docgen.errors import TemplateError
from docgen.layout import DEFAULT_TEMPLATES
from docgen.mail.addresses import greeting, header_text
from docgen.render import tags
from docgen.settings import Settings
from docgen.workspace import Role, Workspace

SUBJECT_PREFIX = "Тема:"


class NoticeKind(StrEnum):
    REJECTED = "rejected"
    REVIEW = "review"
    RETURNED = "returned"
    SIGNATURE = "signature"
    SIGNED = "signed"
    HANDOVER = "handover"
    ORIGINALS = "originals"
    TECHNICAL = "technical"
    PRODUCTION = "production"
    OBLIGATION = "obligation"
    STATEMENT = "statement"
    STATEMENT_REJECTED = "statement_rejected"
    CLAIM = "claim"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    ABSENCE = "absence"
    ADMIN = "admin"
    WARNINGS = "warnings"
    CANCELLED = "cancelled"
    TRANSFER = "transfer"
    NO_COMMENTS = "no_comments"


KIND_TITLES = {
    NoticeKind.REJECTED: "форма не принята",
    NoticeKind.REVIEW: "на согласование",
    NoticeKind.RETURNED: "возвращён на доработку",
    NoticeKind.SIGNATURE: "на подпись",
    NoticeKind.SIGNED: "договор подписан",
    NoticeKind.HANDOVER: "Ввод в Производство",
    NoticeKind.ORIGINALS: "ожидаются оригиналы",
    NoticeKind.TECHNICAL: "техническая документация",
    NoticeKind.PRODUCTION: "можно запускать производство",
    NoticeKind.OBLIGATION: "срок оплаты или поставки",
    NoticeKind.STATEMENT: "банковская выписка",
    NoticeKind.STATEMENT_REJECTED: "выписка не принята",
    NoticeKind.CLAIM: "претензия готова",
    NoticeKind.REMINDER: "напоминание о сроке",
    NoticeKind.ESCALATION: "просрочено согласование",
    NoticeKind.ABSENCE: "сделка на время отсутствия",
    NoticeKind.ADMIN: "администратору",
    NoticeKind.WARNINGS: "принята с предупреждениями",
    NoticeKind.CANCELLED: "сделка отменена",
    NoticeKind.TRANSFER: "клиент передан",
    NoticeKind.NO_COMMENTS: "возврат без замечаний не принят",
}
# A subject is one line of a mail client's list: a value of megabytes must not make it a megabyte.
SUBJECT_LIMIT = 300


# The names each kind of notice gets in its template (docgen.workflow.notices builds them and holds
# itself to this table; `docgen templates check` renders each mail template with exactly these).
DEAL_NAMES = frozenset({"deal", "version", "client", "inn", "total", "manager", "folder"})
# A letter about a deal waiting at a stage: where its draft is, since when, until when.
WAITING_NAMES = DEAL_NAMES | {"draft", "role_title", "since", "due", "days_overdue"}
CONTEXT_NAMES: dict[NoticeKind, frozenset[str]] = {
    NoticeKind.REJECTED: frozenset({"form", "faults", "folder", "manager"}),
    NoticeKind.REVIEW: DEAL_NAMES | {"role_title"},
    NoticeKind.RETURNED: DEAL_NAMES | {"returned_by", "comments"},
    NoticeKind.SIGNATURE: DEAL_NAMES,
    NoticeKind.SIGNED: DEAL_NAMES,
    NoticeKind.HANDOVER: DEAL_NAMES | {"support"},
    NoticeKind.ORIGINALS: DEAL_NAMES | {"originals"},
    NoticeKind.TECHNICAL: DEAL_NAMES | {"files"},
    NoticeKind.PRODUCTION: DEAL_NAMES | {"support", "prepaid_on", "prepaid", "delivery_due", "delivery_term"},
    NoticeKind.OBLIGATION: DEAL_NAMES | {"stage", "obligation", "title", "amount", "outstanding", "due", "days_left",
                                         "overdue_days", "penalty", "rate", "cap", "penalty_from"},
    NoticeKind.STATEMENT: frozenset({"statement", "folder", "documents", "incoming", "new", "matched", "unmatched"}),
    NoticeKind.STATEMENT_REJECTED: frozenset({"statement", "why", "folder"}),
    NoticeKind.CLAIM: DEAL_NAMES | {"on", "debt", "penalty", "claim_total", "answer_days"},
    NoticeKind.REMINDER: WAITING_NAMES,
    NoticeKind.ESCALATION: WAITING_NAMES | {"holder"},
    NoticeKind.ABSENCE: WAITING_NAMES | {"stood_in_for", "before"},
    NoticeKind.ADMIN: frozenset({"title", "lines", "todo", "where", "workspace"}),
    NoticeKind.WARNINGS: DEAL_NAMES | {"warnings"},
    NoticeKind.CANCELLED: DEAL_NAMES | {"cancelled_by", "reason", "stage_was", "held_by"},
    NoticeKind.TRANSFER: frozenset({"number", "client", "inn", "transfer_date", "employee", "previous", "new_manager",
                                    "folder", "deals"}),
    NoticeKind.NO_COMMENTS: DEAL_NAMES | {"draft", "role_title"},
}
# Names every letter gets from build_notice itself: `greeting`, the first line, by the recipients' names.
GIVEN_NAMES = frozenset({"greeting"})
# Names a kind may get when they are known (a rejected correction of a deal names the deal).
# A deal's letter names whom its recipient stands in for when a deputy gets it ([[absences]]): `deputy_for`;
# the signature letter, who approved before (the route's stages): `approved_by`.
# The form's warnings go with the rejection (beside its faults) and with the lawyer's review letter: `warnings`.
OPTIONAL_NAMES: dict[NoticeKind, frozenset[str]] = {
    NoticeKind.REJECTED: frozenset({"deal", "version", "client", "inn", "total", "warnings"}),
    **{kind: frozenset({"deputy_for"}) for kind in NoticeKind if kind is not NoticeKind.REJECTED},
    NoticeKind.SIGNATURE: frozenset({"deputy_for", "approved_by"}),
    NoticeKind.ADMIN: frozenset({"deal"}),
    NoticeKind.REVIEW: frozenset({"deputy_for", "warnings"}),
    NoticeKind.TECHNICAL: frozenset({"deputy_for", "attached"}),  # whether the files are attached to the letter
}


@dataclass(frozen=True)
class Notice:
    """One e-mail, fully built, ready to queue; attachments are read when it is sent."""

    event_id: str
    kind: NoticeKind
    to: tuple[str, ...]
    subject: str
    body: str
    attachments: tuple[Path, ...] = ()
    deal: str | None = None
    dossier: Path | None = None


def build_notice(
    kind: NoticeKind,
    *,
    ws: Workspace,
    event_id: str,
    to: Sequence[str],
    context: Mapping[str, object],
    attachments: Sequence[Path] = (),
    deal: str | None = None,
    dossier: Path | None = None,
) -> Notice:
    """Render the template of `kind` with `context`; raises TemplateError naming the template and the name."""
    if not event_id:
        raise ValueError("event_id is required: the Message-ID and the outbox key come from it")
    subject, body = render(kind, templates=template_dirs(ws), context={"greeting": greeting(to), **context})
    return Notice(
        event_id=event_id,
        kind=NoticeKind(kind),
        to=tuple(to),
        subject=subject,
        body=body,
        attachments=tuple(Path(p).absolute() for p in attachments),
        deal=deal,
        dossier=Path(dossier).absolute() if dossier is not None else None,
    )


def template_dirs(ws: Workspace) -> tuple[Path, ...]:
    """The workspace's own texts first, then the ones shipped with docgen (a workspace may lack some)."""
    return (ws.mail_templates, DEFAULT_TEMPLATES / "mail")


def render(kind: NoticeKind, *, templates: Sequence[Path], context: Mapping[str, object]) -> tuple[str, str]:
    """(subject, body) of the template `<kind>.txt`: its first line is "Тема: …", the rest the body."""
    name = f"{NoticeKind(kind)}.txt"
    try:
        text = environment(tuple(templates)).get_template(name).render(dict(context))
    except jinja2.UndefinedError as exc:
        variable = tags.undefined_name(exc)
        raise TemplateError(f"Шаблон письма {name}: неизвестное имя «{variable}» — такого значения у письма нет",
                            template=name, variable=variable) from None
    except jinja2.TemplateNotFound:
        raise TemplateError(f"Нет шаблона письма {name} в templates/mail/", template=name) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"Шаблон письма {name}, строка {exc.lineno}: {tags.syntax_message(exc.message or '')}",
                            template=name) from None
    except (jinja2.TemplateError, jinja2.sandbox.SecurityError) as exc:
        raise TemplateError(f"Шаблон письма {name} не разбирается: {exc}", template=name) from None
    return _split(text, name)


def _split(text: str, name: str) -> tuple[str, str]:
    """Split at the template's own first newline; a newline inside a value cannot move the subject's end."""
    head, _, body = text.lstrip("\r\n").partition("\n")
    if not head.startswith(SUBJECT_PREFIX):
        raise TemplateError(f"Шаблон письма {name}: первая строка должна начинаться с «{SUBJECT_PREFIX}»",
                            template=name)
    subject = header_text(head.removeprefix(SUBJECT_PREFIX)[: SUBJECT_LIMIT * 4])  # private-use stand-in: a space
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 1].rstrip() + "…"
    return subject, body.replace(_VALUE_NEWLINE, "\n").strip("\r\n") + "\n"


# Stands for a line break inside a value until the subject line is split off (a private-use character).
_VALUE_NEWLINE = "\ue000"


def _hold_newlines(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\r\n", _VALUE_NEWLINE).replace("\r", _VALUE_NEWLINE).replace("\n", _VALUE_NEWLINE)
    return value


_ENVIRONMENTS: dict[tuple[Path, ...], SandboxedEnvironment] = {}


def environment(templates: tuple[Path, ...]) -> SandboxedEnvironment:
    # Plain text: no autoescape; StrictUndefined so a name the workflow forgot is an error, not a blank.
    env = _ENVIRONMENTS.get(templates)
    if env is None:
        env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader([str(p) for p in templates], encoding="utf-8"),
            autoescape=False, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=_hold_newlines,
        )
        _ENVIRONMENTS[templates] = env
    return env


def recipients_for(
    kind: NoticeKind,
    settings: Settings,
    *,
    division: str | None = None,
    role: Role | None = None,
    manager: str | None = None,
) -> tuple[str, ...]:
    """Who gets a notice of `kind` by the regulation; `manager` is a mailbox() string from the form."""
    people = settings.people
    div = settings.divisions.get(division) if division else None
    match NoticeKind(kind):
        case NoticeKind.REJECTED | NoticeKind.RETURNED | NoticeKind.SIGNED | NoticeKind.WARNINGS:
            found: tuple[str | None, ...] = (manager,)
        case NoticeKind.REVIEW:
            found = (people.finance if role == Role.FINANCE else people.lawyer,)
        case NoticeKind.NO_COMMENTS:
            found = (div.director if role == Role.DIRECTOR and div else getattr(people, str(role or "lawyer"), None),)
        case NoticeKind.SIGNATURE | NoticeKind.ESCALATION:
            found = (div.director if div else None,)
        case NoticeKind.REMINDER | NoticeKind.ABSENCE:
            found = (div.director if role == Role.DIRECTOR and div else getattr(people, str(role or "lawyer"), None),)
        case NoticeKind.HANDOVER:
            found = (people.economics, div.support if div else None)
        case NoticeKind.ORIGINALS:
            found = (people.finance,)
        case NoticeKind.TECHNICAL:
            found = (people.technical,)
        case NoticeKind.PRODUCTION:
            found = (people.economics, div.support if div else None)
        case NoticeKind.OBLIGATION:
            found = (div.support if div else None, manager)
        case NoticeKind.STATEMENT | NoticeKind.STATEMENT_REJECTED:
            found = (people.finance,)
        case NoticeKind.CLAIM:
            found = (manager,)
        case NoticeKind.ADMIN:
            found = (people.admin,)
        case NoticeKind.CANCELLED:
            found = (manager,)
        case NoticeKind.TRANSFER:
            found = (manager, div.director if div else None)
    return tuple(r for r in found if r)


def admin_notice(ws: Workspace, *, event: str, title: str, lines: Sequence[str], todo: str, where: str = "",
                 deal: str | None = None) -> Notice | None:
    """A letter to `[people].admin` about what needs a person; None when no administrator is set."""
    admin = ws.settings.people.admin
    if not admin.strip():
        return None
    context = {"title": title, "lines": list(lines), "todo": todo, "where": where, "workspace": str(ws.root),
               "deal": deal}
    return build_notice(NoticeKind.ADMIN, ws=ws, event_id=f"admin/{event}", to=[admin], context=context,
                        deal=deal)
