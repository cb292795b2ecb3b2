"""The one settings object: docgen.toml at the workspace root, overridden by DOCGEN_<SECTION>__<KEY>.

Built once at start-up by `load_settings` and passed down; nothing else reads the environment.
Every field carries a description: the README's settings table is held to them by a test.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import os
import tomllib
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from docgen.errors import SettingsError

SETTINGS_FILE = "docgen.toml"

# The environment one load_settings call reads, so tests pass theirs without touching os.environ.
_ENVIRON: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("docgen_environ")


class _GivenEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading the mapping given to load_settings."""

    def _load_env_vars(self) -> dict[str, str | None]:
        return {k.lower(): v for k, v in _ENVIRON.get({}).items()}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmtpSettings(Section):
    host: str = Field("", description="SMTP-сервер; пусто — уведомления пишутся .eml-файлами в outbox/mail/")
    port: int = Field(587, description="порт SMTP-сервера")
    starttls: bool = Field(True, description="включить STARTTLS после подключения")
    tls: bool = Field(False, description="сразу TLS-соединение (обычно порт 465) вместо STARTTLS")
    username: str = Field("", description="имя для входа на SMTP-сервер; пусто — без входа")
    password_env: str = Field(
        "DOCGEN_SMTP_PASSWORD", description="имя переменной окружения, где лежит пароль SMTP"
    )
    password: str = Field("", description="пароль SMTP, прочитанный из password_env (в файл не пишется)", exclude=True)
    sender: str = Field("Договорной отдел <docgen@localhost>", description="адрес отправителя уведомлений")
    timeout: float = Field(30.0, description="секунд ожидания ответа SMTP-сервера")
    retry_delays: list[float] = Field(
        [10, 60, 300, 1800], description="паузы между повторными попытками отправки, секунды"
    )


class PeopleSettings(Section):
    lawyer: str = Field("Юрист Компании <lawyer@localhost>", description="юрист: получает проекты договоров")
    finance: str = Field(
        "Руководитель Финансового департамента <finance@localhost>",
        description="руководитель Финансового департамента: согласует договоры, принимает оригиналы",
    )
    economics: str = Field("Экономический отдел <economics@localhost>", description="получает «Ввод в Производство»")
    technical: str = Field("Технический отдел <tech@localhost>", description="получает техническую документацию")


class DivisionSettings(Section):
    title: str = Field(description="название направления")
    director: str = Field(description="директор направления: подписывает договоры")
    support: str = Field(description="менеджер по сопровождению: ведёт клиента после подписания")


class BankSettings(Section):
    name: str = Field("ПАО Сбербанк", description="банк Продавца")
    bik: str = Field("044525225", description="БИК банка Продавца")
    account: str = Field("40702810938000000001", description="расчётный счёт Продавца")
    corr_account: str = Field("30101810400000000225", description="корреспондентский счёт банка Продавца")


class SignatorySettings(Section):
    name: str = Field("Сидоров Алексей Николаевич", description="ФИО подписанта Продавца")
    position: str = Field("Генеральный директор", description="должность подписанта Продавца")
    basis: str = Field("Устава", description="основание полномочий («действующего на основании …»)")


class CompanySettings(Section):
    name: str = Field("ООО «АМС»", description="Продавец: наименование в договоре")
    full_name: str = Field(
        "Общество с ограниченной ответственностью «АМС»", description="Продавец: полное наименование"
    )
    inn: str = Field("7707083893", description="ИНН Продавца")
    kpp: str = Field("770701001", description="КПП Продавца")
    ogrn: str = Field("1027700132195", description="ОГРН Продавца")
    address: str = Field("117997, г. Москва, ул. Вавилова, д. 19", description="адрес Продавца")
    city: str = Field("г. Москва", description="город заключения договора")
    email: str = Field("info@ams.example", description="e-mail Продавца")
    phone: str = Field("+7 495 000-00-01", description="телефон Продавца")
    signatory: SignatorySettings = Field(default_factory=SignatorySettings, description="подписант Продавца")
    bank: BankSettings = Field(default_factory=BankSettings, description="банковские реквизиты Продавца")


class VatRate(Section):
    since: dt.date = Field(description="дата, с которой действует ставка")
    rate: Decimal = Field(description="ставка НДС, %")


def _default_vat() -> list[VatRate]:
    return [VatRate(since=dt.date(2019, 1, 1), rate=Decimal("20")), VatRate(since=dt.date(2026, 1, 1), rate=Decimal("22"))]


class VatSettings(Section):
    rates: list[VatRate] = Field(
        default_factory=_default_vat,
        description="таблица ставок НДС по датам (425-ФЗ: 20 % до 2026-01-01, 22 % с 2026-01-01)",
    )


class LimitsSettings(Section):
    max_form_bytes: int = Field(5_000_000, description="наибольший размер формы (ZIP — вместе с вложениями), байт")
    buyer_penalty_rate_max: Decimal = Field(Decimal("0.5"), description="наибольшая пеня Покупателя, % в день")
    seller_penalty_rate_max: Decimal = Field(Decimal("0.1"), description="наибольшая пеня Продавца, % в день")


class NumberingSettings(Section):
    pattern: str = Field("{year}-{seq:04d}", description="шаблон номера сделки: {year} и {seq}")


class FolderSettings(Section):
    inbox: str = Field("inbox", description="куда менеджеры кладут формы")
    outbox: str = Field("outbox", description="папки согласования и исходящие документы")
    templates: str = Field("templates", description="шаблоны документов и писем")
    clients: str = Field("clients", description="досье клиентов")
    registers: str = Field("registers", description="реестр «Предварительные заказы»")
    archive: str = Field("archive", description="архивные выгрузки")
    state: str = Field(".docgen", description="служебная база и журнал работы")


class WatchSettings(Section):
    polling: bool = Field(False, description="опрашивать папки вместо событий ФС (сетевые диски SMB/NFS)")
    settle_seconds: float = Field(0.5, description="файл берётся, если столько секунд не менялся")
    poll_seconds: float = Field(1.0, description="период опроса папок в режиме polling")
    rescan_seconds: float = Field(30.0, description="период страховочного пересмотра папок")


class DocumentsSettings(Section):
    pdf: bool = Field(True, description="делать PDF-версии через LibreOffice (если он установлен)")
    pdf_timeout: float = Field(120.0, description="секунд на один PDF, после чего LibreOffice перезапускается")


class ArchiveSettings(Section):
    max_bytes: int = Field(
        20_000_000_000, description="docgen verify: наибольший общий размер файлов архива после распаковки, байт"
    )
    max_ratio: int = Field(
        200, description="docgen verify: наибольшая степень сжатия одного файла (больше — признак ZIP-бомбы)"
    )


class CalendarSettings(Section):
    extra_holidays: list[dt.date] = Field(
        [], description="свои нерабочие дни сверх производственного календаря (даты ГГГГ-ММ-ДД)"
    )
    extra_workdays: list[dt.date] = Field(
        [], description="свои рабочие дни, например рабочая суббота, которой ещё нет в календаре (даты)"
    )
    confirmed_years: list[int] = Field(
        [], description="годы, чей календарь введён вручную (extra_*): без постановления в пакете holidays "
                        "такой год иначе считается неизвестным"
    )


class ObligationsSettings(Section):
    remind_days_before: int = Field(
        3, ge=0, le=60, description="за сколько рабочих дней до срока оплаты или поставки напомнить менеджеру "
                                    "и менеджеру по сопровождению (0 — только в день срока и после него)")
    notify_hour: int = Field(
        9, ge=0, le=23, description="с какого часа (местного времени) рабочего дня рассылаются напоминания "
                                    "о сроках оплаты и поставки")
    claim_answer_days: int = Field(
        10, ge=1, le=60, description="срок ответа на претензию, рабочих дней (претензионная оговорка "
                                     "договоров: п. 7.1 поставки, п. 8.1 подряда)")


class Settings(BaseSettings):
    """All settings of one workspace."""

    model_config = SettingsConfigDict(env_prefix="DOCGEN_", env_nested_delimiter="__", extra="forbid")

    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="отправка уведомлений")
    people: PeopleSettings = Field(default_factory=PeopleSettings, description="адресаты уведомлений")
    divisions: dict[str, DivisionSettings] = Field(
        default_factory=lambda: {
            "metal": DivisionSettings(
                title="Направление металлоконструкций",
                director="Директор Направления <director.metal@localhost>",
                support="Менеджер по сопровождению <support.metal@localhost>",
            )
        },
        description="направления: [divisions.<код>] с директором и менеджером по сопровождению",
    )
    company: CompanySettings = Field(default_factory=CompanySettings, description="реквизиты Продавца")
    vat: VatSettings = Field(default_factory=VatSettings, description="ставки НДС")
    limits: LimitsSettings = Field(default_factory=LimitsSettings, description="пределы проверок формы")
    lead_days: dict[str, int] = Field(
        default_factory=lambda: {"supply": 30, "works": 40},
        description="срок производства по типу договора, рабочих дней: поставка не может быть короче",
    )
    numbering: NumberingSettings = Field(default_factory=NumberingSettings, description="номера сделок")
    folders: FolderSettings = Field(default_factory=FolderSettings, description="папки рабочего пространства")
    watch: WatchSettings = Field(default_factory=WatchSettings, description="наблюдение за папками")
    documents: DocumentsSettings = Field(default_factory=DocumentsSettings, description="документы")
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings, description="архивные выгрузки")
    calendar: CalendarSettings = Field(
        default_factory=CalendarSettings, description="производственный календарь: рабочие дни для сроков"
    )
    obligations: ObligationsSettings = Field(
        default_factory=ObligationsSettings,
        description="после подписания: напоминания о сроках оплаты и поставки, претензии",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first: DOCGEN_SMTP__PORT beats the port in docgen.toml (passed as init kwargs).
        return _GivenEnvSource(settings_cls), init_settings

    def vat_rate_on(self, day: dt.date) -> Decimal:
        """The VAT rate in force on `day`."""
        rate = Decimal("0")
        for row in sorted(self.vat.rates, key=lambda r: r.since):
            if row.since <= day:
                rate = row.rate
        return rate


def load_settings(root: Path, environ: dict[str, str] | None = None) -> Settings:
    """Read docgen.toml from `root` (if any) and DOCGEN_* overrides from `environ`."""
    environ = dict(os.environ if environ is None else environ)
    data = _read_toml(root / SETTINGS_FILE)
    token = _ENVIRON.set(environ)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None
    finally:
        _ENVIRON.reset(token)
    settings.smtp.password = environ.get(settings.smtp.password_env, "")
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path.name}: файл настроек не читается: {exc}") from None


def _explain(exc: ValidationError) -> str:
    lines = ["Ошибка в настройках (docgen.toml или переменные DOCGEN_*):"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def settings_table(model: type[BaseModel] = Settings, prefix: str = "") -> list[tuple[str, str, str]]:
    """Every leaf setting as (dotted key, default, description): the source of the README's table."""
    rows: list[tuple[str, str, str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        inner = _model_inside(field.annotation)
        if field.exclude:
            continue
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            rows.extend(settings_table(field.annotation, f"{key}."))
        elif inner is not None:
            suffix = ".<код>." if typing.get_origin(field.annotation) is dict else "[]."
            rows.append((key, "", field.description or ""))
            rows.extend(settings_table(inner, f"{key}{suffix}"))
        else:
            default = field.get_default(call_default_factory=True)
            shown = "" if default is None or field.is_required() else _shown(default)
            rows.append((key, shown, field.description or ""))
    return rows


def _model_inside(annotation: Any) -> type[BaseModel] | None:
    args = typing.get_args(annotation)
    last = args[-1] if args else None
    return last if isinstance(last, type) and issubclass(last, BaseModel) else None


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {v}" for k, v in value.items()) + "}"
    return str(value)


def settings_markdown() -> str:
    """The README's settings table."""
    lines = ["| ключ | по умолчанию | что задаёт |", "|---|---|---|"]
    for key, default, description in settings_table():
        lines.append(f"| `{key}` | {default.replace('|', '/')} | {description} |")
    return "\n".join(lines)
