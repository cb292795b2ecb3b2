"""`docgen doctor`: is this workspace ready to run? One result per check, and for each fault what to do.

A check is a small function `(Probe) -> Iterable[Result]` listed in CHECKS; add one by writing the
function and appending it there (name results in snake_case; the JSON output keeps them). A check
that raises is reported as a failed check, never a traceback. Settings are checked first: when they
do not load, nothing else can be checked and the settings error is the one result.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from docgen.errors import DocgenError, SettingsError
from docgen.files import nearest_existing
from docgen.settings import SETTINGS_FILE, load_settings
from docgen.workspace import Workspace

MB = 1 << 20


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"  # advice: docgen works, but something is likely to go wrong
    ERROR = "error"  # docgen cannot work right until this is fixed


MARKS = {Level.OK: "✔", Level.WARNING: "⚠", Level.ERROR: "✗"}
# How each check is named in the report (a check not listed here is shown by its name).
TITLES = {
    "settings": "настройки", "company": "реквизиты Продавца", "folders": "папки", "folders_user": "папки",
    "templates": "шаблоны документов", "mail_templates": "шаблоны писем", "libreoffice": "LibreOffice",
    "fonts": "шрифты", "mail": "почта", "store": "база", "dossiers": "база и досье", "disk": "диск",
    "network_filesystem": "диск базы",
    "calendar": "календарь",
}


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    level: Level
    message: str
    fix: str = ""

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "level": str(self.level)}


def passed(name: str, message: str) -> Result:
    return Result(name, True, Level.OK, message)


def failed(name: str, message: str, fix: str, *, level: Level = Level.ERROR) -> Result:
    return Result(name, False, level, message, fix)


@dataclass(frozen=True)
class Probe:
    """What the checks look at: the workspace, today's date and the edges a test may move."""

    ws: Workspace
    today: dt.date
    mounts: Path = Path("/proc/mounts")
    free_error: int = 200 * MB  # less free space than this is a fault
    free_warning: int = 1024 * MB  # … and than this, advice


Check = Callable[[Probe], Iterable[Result]]


def run_doctor(root: Path, *, today: dt.date, environ: dict[str, str] | None = None,
               checks: Iterable[Check] | None = None, **edges: object) -> list[Result]:
    """Every check on the workspace at `root`; `edges` override the Probe's (mounts, thresholds)."""
    try:
        settings = load_settings(root, environ)
    except SettingsError as exc:
        return [failed("settings", str(exc), f"исправьте {root / SETTINGS_FILE} (образец всех ключей — "
                                              "docs/admin.md, «Настройки»)")]
    probe = Probe(Workspace(root, settings), today=today, **edges)  # type: ignore[arg-type]
    results = [passed("settings", f"{SETTINGS_FILE} прочитан, все настройки допустимы")]
    for check in CHECKS if checks is None else checks:
        try:
            results += list(check(probe))
        except Exception as exc:  # noqa: BLE001 - a broken check is a finding, not a crash
            results.append(failed(check.__name__.removeprefix("check_"), f"проверка не выполнилась: {exc}",
                                  "сообщите разработчикам docgen, приложив этот вывод"))
    return results


# --- the checks, in the order they are shown --------------------------------------------------------

def check_company(probe: Probe) -> Iterable[Result]:
    company = probe.ws.settings.company
    keys = company.example_keys()
    if not keys:
        yield passed("company", f"{company.name}, ИНН {company.inn}")
        return
    yield failed("company", f"НЕ ЗАДАНЫ — в договорах печатается образец «{company.name}» "
                            f"(не заданы: {', '.join(keys)})",
                 f"заполните в {SETTINGS_FILE} разделы [company], [company.signatory] и [company.bank] — "
                 "образец каждого ключа есть в файле в комментариях")


def check_folders(probe: Probe) -> Iterable[Result]:
    from docgen.layout import folders

    ws = probe.ws
    wanted = [*folders(ws), ws.templates, ws.state]
    faults = [f"{_rel(ws, f)}: {why}" for f in wanted if (why := _unwritable(f, may_create=f == ws.state))]
    if faults:
        yield failed("folders", "недоступны: " + "; ".join(faults),
                     f"создайте недостающие: docgen init {ws.root}; и дайте пользователю службы право записи, "
                     f"например: chown -R docgen: {ws.root}")
        return
    yield passed("folders", f"все на месте и доступны для записи ({len(wanted)})")
    if os.name == "posix" and os.geteuid() == 0:
        yield failed("folders_user", "doctor запущен от root: права пользователя службы так не проверить",
                     "запустите от имени пользователя службы: sudo -u docgen docgen doctor", level=Level.WARNING)


def _unwritable(folder: Path, *, may_create: bool = False) -> str:
    """Why the service cannot write into `folder` (or, with `may_create`, create it), or ''."""
    if not folder.exists() and may_create:
        return _unwritable(nearest_existing(folder))
    if not folder.exists():
        return "нет такой папки"
    if not folder.is_dir():
        return "это файл, а не папка"
    try:
        fd, name = tempfile.mkstemp(prefix=".docgen-doctor-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return f"нельзя записать ({exc.strerror or exc})"
    return ""


def check_templates(probe: Probe) -> Iterable[Result]:
    from docgen.render.check import check_workspace

    ws = probe.ws
    try:
        checked, problems = check_workspace(ws, today=probe.today)
    except DocgenError as exc:
        yield failed("templates", f"шаблоны не проверить: {exc}", TEMPLATES_FIX)
        return
    fatal = [p.message for p in problems if p.fatal]
    if not checked:
        yield failed("templates", f"шаблонов договоров нет в {_rel(ws, ws.contract_templates)}",
                     f"восстановите шаблоны по умолчанию: docgen init {ws.root}")
    elif fatal:
        yield failed("templates", f"ошибок: {len(fatal)}: " + _first(fatal), TEMPLATES_FIX)
    else:
        yield passed("templates", f"в порядке ({len(checked)})")


def check_mail_templates(probe: Probe) -> Iterable[Result]:
    from docgen.mail.check import check_mail_templates as check_letters

    letters, problems = check_letters(probe.ws)
    fatal = [p.message for p in problems if p.fatal]
    if fatal:
        yield failed("mail_templates", f"ошибок: {len(fatal)}: " + _first(fatal), TEMPLATES_FIX)
    else:
        yield passed("mail_templates", f"в порядке ({len(letters)})")


TEMPLATES_FIX = "исправьте шаблон (имена и теги — docs/templates.md); подробно: docgen templates check"


def _first(messages: list[str], count: int = 3) -> str:
    more = f"; и ещё {len(messages) - count}" if len(messages) > count else ""
    return "; ".join(messages[:count]) + more


def check_libreoffice(probe: Probe) -> Iterable[Result]:
    from docgen.render.pdf import open_converter

    pdf = probe.ws.settings.pdf
    old = "; ".join(probe.ws.settings.deprecations())
    old = f" ({old})" if old else ""
    if not pdf.enabled:
        yield passed("libreoffice", f"PDF-версии выключены ([pdf] enabled = false): LibreOffice не нужен{old}")
        return
    install = "установите LibreOffice: apt-get install libreoffice-writer-nogui python3-uno fonts-liberation2 " \
              "(или выключите PDF: [pdf] enabled = false)"
    with tempfile.TemporaryDirectory(prefix="docgen-doctor-") as folder:
        converter = open_converter(profile_dir=Path(folder) / "profile", timeout=pdf.timeout)
        if converter is None:
            yield failed("libreoffice", "не найден: PDF-версии не создаются", install)
            return
        try:
            converter.convert(_probe_docx(Path(folder)), Path(folder) / "probe.pdf")
        except DocgenError as exc:
            yield failed("libreoffice", f"не сделал PDF пробного документа: {exc}", install)
            return
        finally:
            converter.close()
    workers = f"; одновременно до {pdf.workers} PDF ([pdf] workers)" if pdf.workers > 1 else ""
    yield passed("libreoffice", f"запускается и делает PDF пробного документа{workers}{old}")


def _probe_docx(folder: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("Проверка docgen doctor: договор поставки № 2026-0001")
    path = folder / "probe.docx"
    document.save(path)
    return path


def check_fonts(probe: Probe) -> Iterable[Result]:
    from docgen.render import fonts

    ws = probe.ws
    templates = sorted(ws.contract_templates.glob("*.docx")) + sorted(ws.handover_templates.glob("*.docx"))
    wanted = set().union(*(_fonts_of(p) for p in templates if not p.name.startswith("~$")))
    installed = fonts.installed_families()
    if installed is None:
        yield failed("fonts", "fontconfig (fc-list) не установлен: шрифты не проверить",
                     "apt-get install fontconfig", level=Level.WARNING)
        return
    missing = fonts.missing_fonts(wanted, installed)
    if missing:
        listed = ", ".join(f"«{font}» (будет заменён на «{instead}»)" for font, instead in missing.items())
        yield failed("fonts", f"шрифтов шаблонов нет в системе: {listed} — в PDF съедут строки и страницы",
                     "установите эти шрифты (или метрически совместимые: apt-get install fonts-liberation2 "
                     "fonts-crosextra-carlito fonts-crosextra-caladea)")
        return
    yield passed("fonts", f"установлены все, которыми набраны шаблоны: {', '.join(sorted(wanted)) or '—'}")


def _fonts_of(path: Path) -> set[str]:
    from docgen.render.fonts import template_fonts

    try:
        return template_fonts(path)
    except (OSError, ValueError, KeyError):  # a broken template is the templates check's to report
        return set()


def check_mail(probe: Probe) -> Iterable[Result]:
    from docgen.mail.errors import PermanentMailError, TransientMailError
    from docgen.mail.transport import SmtpTransport

    ws, smtp = probe.ws, probe.ws.settings.smtp
    if not smtp.host:
        why = _unwritable(ws.mail_spool) if ws.mail_spool.exists() else ""
        if why:
            yield failed("mail", f"SMTP не настроен, а в {_rel(ws, ws.mail_spool)} письма не записать: {why}",
                         "дайте право записи на папку или задайте [smtp] host")
        else:
            yield passed("mail", f"SMTP не настроен: письма пишутся .eml-файлами в {_rel(ws, ws.mail_spool)}")
        return
    try:
        SmtpTransport(smtp).probe()
    except (TransientMailError, PermanentMailError) as exc:
        yield failed("mail", str(exc), f"проверьте [smtp] host, port, starttls/tls и username; пароль — "
                                             f"в переменной окружения {smtp.password_env}")
        return
    steps = ["подключение", *(["TLS"] if smtp.tls or smtp.starttls else []), *(["вход"] if smtp.username else [])]
    yield passed("mail", f"SMTP {smtp.host}:{smtp.port}: {', '.join(steps)} — успешно, письмо не отправлялось")


def check_store(probe: Probe) -> Iterable[Result]:
    from docgen.migrations import LATEST, stored_version
    from docgen.store import DB_NAME

    if probe.ws.settings.store.url:
        yield from _check_postgres(probe)
        return
    path = probe.ws.state / DB_NAME
    if not path.exists():
        yield passed("store", "базы ещё нет: служба создаст её при первом запуске")
        return
    restore = "остановите службу и восстановите базу из резервной копии (docs/admin.md, «Резервные копии»)"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            verdict = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            version = stored_version(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        yield failed("store", f"база {_rel(probe.ws, path)} не открывается: {exc}", restore)
        return
    if verdict != ["ok"]:
        yield failed("store", f"база повреждена: {_first(verdict)}", restore)
    elif version > LATEST:
        yield failed("store", f"база сделана более новой версией docgen (схема {version}, эта знает до {LATEST})",
                     "обновите docgen до версии, с которой работала служба")
    elif version < LATEST:
        yield failed("store", f"схема базы {version} устарела (нужна {LATEST}): служба обновит её при запуске, "
                              "сделав копию в .docgen/backups/", "ничего делать не нужно", level=Level.WARNING)
    else:
        yield passed("store", f"цела (integrity_check), схема {version} — текущая")


def _check_postgres(probe: Probe) -> Iterable[Result]:
    """[store] url: the server answers, the password is found, the schema is this docgen's."""
    from docgen.engines import connect_postgres, password_from, safe_url
    from docgen.migrations import LATEST, stored_version

    settings = probe.ws.settings.store
    where = safe_url(settings.url)
    try:
        conn = connect_postgres(settings.url, password=password_from(settings.password_env), timeout=10)
    except DocgenError as exc:
        yield failed("store", str(exc), "проверьте [store] url, что сервер PostgreSQL запущен и пускает этот "
                                        "компьютер (pg_hba.conf), и переменную с паролем ([store] password_env)")
        return
    try:
        version = stored_version(conn)
        server = conn.execute("SHOW server_version").fetchone()[0]
    finally:
        conn.close()
    if version == 0:
        yield passed("store", f"PostgreSQL {server} ({where}) отвечает; база пуста: служба создаст таблицы при "
                              "первом запуске (перенести данные SQLite — docgen store copy)")
    elif version > LATEST:
        yield failed("store", f"база {where} сделана более новой версией docgen (схема {version}, эта знает до "
                              f"{LATEST})", "обновите docgen до версии, с которой работают службы")
    elif version < LATEST:
        yield failed("store", f"схема базы {where} {version} устарела (нужна {LATEST}): служба обновит её при "
                              "запуске", "перед обновлением сделайте копию: docgen backup (pg_dump)",
                     level=Level.WARNING)
    else:
        yield passed("store", f"PostgreSQL {server} ({where}) отвечает, схема {version} — текущая")


def check_dossiers(probe: Probe) -> Iterable[Result]:
    """The store against clients/: a lost, emptied or old store, or a dossier damaged by hand."""
    from docgen.workflow.integrity import RESTORE_STEPS, doctor_findings

    findings = [f for f in doctor_findings(probe.ws) if f != RESTORE_STEPS]
    if not findings:
        yield passed("dossiers", "база знает каждое досье в clients/, и досье целы")
        return
    for finding in findings:
        yield failed("dossiers", finding, RESTORE_STEPS)


def check_disk(probe: Probe) -> Iterable[Result]:
    ws = probe.ws
    free = min(shutil.disk_usage(nearest_existing(f)).free for f in (ws.root, ws.state))
    shown = f"{free / (1024 * MB):.1f} ГБ".replace(".", ",")
    fix = "освободите место (старые архивы — archive/, журналы — .docgen/docgen.log.*) или расширьте диск"
    if free < probe.free_error:
        yield failed("disk", f"свободно {shown}: документы и база могут не записаться", fix)
    elif free < probe.free_warning:
        yield failed("disk", f"свободно всего {shown}", fix, level=Level.WARNING)
    else:
        yield passed("disk", f"свободно {shown}")


def check_network_filesystem(probe: Probe) -> Iterable[Result]:
    from docgen.files import NETWORK_FILESYSTEMS, filesystem_type

    ws = probe.ws
    if ws.settings.store.url:
        yield passed("network_filesystem", "база в PostgreSQL: папки могут лежать на сетевом диске")
        return
    kind = filesystem_type(ws.state, mounts=probe.mounts)
    if kind in NETWORK_FILESYSTEMS:
        yield failed("network_filesystem",
                     f"служебная база ({_rel(ws, ws.state)}) лежит на сетевом диске ({kind}): SQLite на SMB/NFS "
                     "теряет и портит данные",
                     "перенесите базу на локальный диск службы: [folders] state = \"/var/lib/docgen/state\" "
                     "(папки документов могут остаться на общем диске; при этом запускайте watch --polling)",
                     level=Level.WARNING)
        return
    yield passed("network_filesystem", f"база на локальном диске ({kind or 'тип не определён'})")


def check_calendar(probe: Probe) -> Iterable[Result]:
    from docgen.calendar import WorkCalendar

    calendar = WorkCalendar.from_settings(probe.ws.settings.calendar)
    this_year, next_year = probe.today.year, probe.today.year + 1
    fix = ("обновите пакет holidays (pip install -U holidays) или введите праздники и переносы года в "
           "[calendar] extra_holidays / extra_workdays и добавьте год в [calendar] confirmed_years")
    if not calendar.known(this_year):
        yield failed("calendar", f"производственный календарь {this_year} года неизвестен: сроки в рабочих днях "
                                 "считаются без праздников и переносов", fix)
    elif not calendar.known(next_year):
        yield failed("calendar", f"производственный календарь {next_year} года ещё неизвестен: сроки, уходящие "
                                 "в следующий год, будут неточны", fix, level=Level.WARNING)
    else:
        yield passed("calendar", f"производственный календарь знает {this_year} и {next_year} годы")


def _rel(ws: Workspace, path: Path) -> str:
    try:
        shown = str(path.relative_to(ws.root))
    except ValueError:
        shown = str(path)
    return shown + "/" if path.is_dir() else shown


CHECKS: list[Check] = [
    check_company, check_folders, check_templates, check_mail_templates, check_libreoffice, check_fonts, check_mail, check_store,
    check_dossiers, check_disk, check_network_filesystem, check_calendar,
]


# --- the report ------------------------------------------------------------------------------------

def report_lines(results: list[Result]) -> list[str]:
    """One line per check with its mark, and «что сделать» under each fault; a summary at the end."""
    lines = []
    for result in results:
        lines.append(f"{MARKS[result.level]} {TITLES.get(result.name, result.name)}: {result.message}")
        if not result.ok and result.fix:
            lines.append(f"    что сделать: {result.fix}")
    errors = sum(r.level is Level.ERROR for r in results)
    warnings = sum(r.level is Level.WARNING for r in results)
    verdict = "всё в порядке" if not errors else "есть ошибки — служба не сможет работать как надо"
    lines.append(f"Проверок: {len(results)}; ошибок: {errors}; предупреждений: {warnings} — {verdict}.")
    return lines


def healthy(results: list[Result]) -> bool:
    """No fault (warnings are advice): the exit code of `docgen doctor` and the container's health."""
    return not any(r.level is Level.ERROR for r in results)
