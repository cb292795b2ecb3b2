"""The one settings object: docgen.toml at the workspace root, overridden by DOCGEN_<SECTION>__<KEY>.

Built once at start-up by `load_settings` and passed down; nothing else reads the environment.
Every field carries a Russian description: the settings table of docs/admin.md is held to them by a test.
"""

from __future__ import annotations

import contextvars
import difflib
import datetime as dt
import os
import re
import tomllib
import typing
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pydantic_settings
from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from docgen.errors import SettingsError
from docgen.form import requisites
from docgen.form.text import cyrillic_letters, mixed_alphabet_word
from docgen.settings_errors import explain, explain_source, model_inside, toml_error

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
    attach_max_bytes: int = Field(
        10_000_000, ge=0, description="наибольший общий размер технической документации, прикладываемой к письму "
                                      "Техническому отделу, байт; больше — письмо только называет папку")


def _mailbox(value: str) -> str:
    """An «Имя <addr>» whose address mixes Latin and Cyrillic letters («petrov@аms.ru» with a Russian «а») is
    refused, as in the form: such a domain looks right and never receives a letter."""
    addr = value[value.rfind("<") + 1:value.rfind(">")] if "<" in value and ">" in value else value
    word = mixed_alphabet_word(addr.strip())
    if word:
        raise _fault(f"в адресе «{addr.strip()}» смешаны латинские и русские буквы: в «{word}» русские — "
                     f"«{cyrillic_letters(word)}»; наберите адрес в английской раскладке")
    return value


class PeopleSettings(Section):
    """The fixed addresses, plus one `<role> = "Имя <addr>"` per role of a route rule ([[route.rules]])."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str] = Field(init=False)

    lawyer: str = Field("Юрист Компании <lawyer@localhost>", description="юрист: получает проекты договоров")
    finance: str = Field(
        "Руководитель Финансового департамента <finance@localhost>",
        description="руководитель Финансового департамента: согласует договоры, принимает оригиналы",
    )
    economics: str = Field("Экономический отдел <economics@localhost>", description="получает «Ввод в Производство»")
    technical: str = Field("Технический отдел <tech@localhost>", description="получает техническую документацию")
    escalation: str = Field(
        "", description="кому сообщать о просрочке на этапе директора направления; пусто — никому"
    )
    archivist: str = Field("Архивариус <archivist@localhost>", description="архивариус: видит на доске все сделки")
    @model_validator(mode="after")
    def _addresses(self) -> PeopleSettings:
        for key, value in self.model_dump().items():  # a route rule's role among them
            try:
                _mailbox(str(value))
            except PydanticCustomError as exc:
                raise _fault(f"ключ {key}: {exc.message()}") from None
        return self

    admin: str = Field(
        "Администратор docgen <admin@localhost>",
        description="администратор docgen: узнаёт о том, что требует человека (ссылки и нечитаемые файлы "
                    "в папках, повреждённое досье, письмо, которое не уходит); пусто — только журнал работы",
    )


class SignatorySettings(Section):
    name: str = Field("Сидоров Алексей Николаевич", description="ФИО подписанта Продавца")
    position: str = Field("Генеральный директор", description="должность подписанта Продавца")
    basis: str = Field("Устава", description="основание полномочий («действующего на основании …»)")


class DivisionSettings(Section):
    title: str = Field(description="название направления")
    director: str = Field(description="директор направления: подписывает договоры")
    support: str = Field(description="менеджер по сопровождению: ведёт клиента после подписания")

    @field_validator("director", "support")
    @classmethod
    def _addresses(cls, value: str) -> str:
        return _mailbox(value)
    signatory: SignatorySettings | None = Field(
        None, description="кто подписывает договоры направления за Продавца, если не [company.signatory]: "
                          "{ name, position, basis = \"доверенности № … от …\" }")


def _fault(message: str) -> PydanticCustomError:
    return PydanticCustomError("requisite", "{fault}", {"fault": message})


def _requisite(value: str, check: Callable[[str], str | None]) -> str:
    """`value` when it is digits only and passes `check` (the same checks as the buyer's requisites)."""
    if not value.isdigit():
        raise _fault(f"ожидаются только цифры, а указано «{value}»")
    fault = check(value)
    if fault:
        raise _fault(fault)
    return value


def _checked(check: Callable[[str], str | None]) -> AfterValidator:
    return AfterValidator(lambda value: _requisite(value, check))


class BankSettings(Section):
    model_config = ConfigDict(extra="forbid", validate_default=True)  # the example too must fit what is set

    name: str = Field("АО «Банк-образец» (реквизиты банка не заданы)", description="банк Продавца")
    bik: Annotated[str, _checked(requisites.bik_fault)] = Field("041234567", description="БИК банка Продавца")
    account: str = Field("40702810500000000001", description="расчётный счёт Продавца")
    corr_account: str = Field("30101810500000000567", description="корреспондентский счёт банка Продавца")

    @field_validator("account")
    @classmethod
    def _account(cls, value: str, info: ValidationInfo) -> str:
        _requisite(value, requisites.account_fault)
        bik = info.data.get("bik")
        if bik and not requisites.account_key_ok(bik, value):
            raise _fault("расчётный счёт не сходится с БИК по контрольному ключу — проверьте счёт и БИК")
        return value

    @field_validator("corr_account")
    @classmethod
    def _corr_account(cls, value: str, info: ValidationInfo) -> str:
        _requisite(value, requisites.account_fault)
        bik = info.data.get("bik")
        if not value.startswith("301"):
            raise _fault("корреспондентский счёт банка начинается с 301")
        if bik and not requisites.account_key_ok(bik, value, correspondent=True):
            raise _fault("корреспондентский счёт не сходится с БИК по контрольному ключу — проверьте счёт и БИК")
        return value


class CompanySettings(Section):
    """The Seller. The defaults are an obvious example (its name says the requisites are not set;
    the numbers pass their checksums but belong to no one), so an unconfigured workspace never
    prints a real organisation; `example_keys` lists what is still at the example."""

    model_config = ConfigDict(extra="forbid", validate_default=True)  # an ИП's ОГРНИП must replace the example ОГРН

    name: str = Field("ООО «Образец» (реквизиты Продавца не заданы)", description="Продавец: наименование в договоре")
    full_name: str = Field(
        "Общество с ограниченной ответственностью «Образец» (реквизиты Продавца не заданы в docgen.toml)",
        description="Продавец: полное наименование",
    )
    inn: Annotated[str, _checked(requisites.inn_fault)] = Field(
        "1234567894", description="ИНН Продавца: 10 цифр (организация) или 12 (ИП)")
    kpp: str = Field("123401001", description="КПП Продавца; у ИП — пусто")
    ogrn: str = Field("1234567890127", description="ОГРН Продавца (у ИП — ОГРНИП из 15 цифр)")
    address: str = Field("000000, г. Москва, ул. Примерная, д. 1", description="адрес Продавца")
    city: str = Field("г. Москва", description="город заключения договора")
    email: str = Field("seller@company.example", description="e-mail Продавца")
    phone: str = Field("+7 000 000-00-00", description="телефон Продавца")
    warehouse: str = Field("", description="адрес склада Продавца: место передачи товара при самовывозе; пусто — "
                                           "самовывоз без адреса в форме не принимается")
    signatory: SignatorySettings = Field(default_factory=SignatorySettings, description="подписант Продавца")
    bank: BankSettings = Field(default_factory=BankSettings, description="банковские реквизиты Продавца")

    @field_validator("kpp")
    @classmethod
    def _kpp(cls, value: str, info: ValidationInfo) -> str:
        if not value and len(info.data.get("inn") or "") == 12:
            return value  # an entrepreneur has no КПП
        return _requisite(value, requisites.kpp_fault)

    @field_validator("ogrn")
    @classmethod
    def _ogrn(cls, value: str, info: ValidationInfo) -> str:
        _requisite(value, requisites.ogrn_fault)
        inn = info.data.get("inn") or ""
        if len(inn) == 12 and len(value) != 15:
            raise _fault("у ИП (ИНН из 12 цифр) указывается ОГРНИП из 15 цифр")
        if len(inn) == 10 and len(value) != 13:
            raise _fault("у организации (ИНН из 10 цифр) указывается ОГРН из 13 цифр")
        return value

    def example_keys(self) -> list[str]:
        """The requisites still at the built-in example, as `company.…` keys: what the administrator must set."""
        example = CompanySettings()
        found = []
        for key in _REQUISITE_KEYS:
            mine, theirs = self, example
            for part in key.split("."):
                mine, theirs = getattr(mine, part), getattr(theirs, part)
            if mine == theirs:
                found.append(f"company.{key}")
        return found


_REQUISITE_KEYS = ("name", "full_name", "inn", "kpp", "ogrn", "address", "email", "phone", "signatory.name",
                   "bank.name", "bank.bik", "bank.account", "bank.corr_account")


class VatRate(Section):
    since: dt.date = Field(description="дата, с которой действует ставка")
    rate: Decimal = Field(description="ставка НДС, %")


def _default_vat() -> list[VatRate]:
    return [VatRate(since=dt.date(2019, 1, 1), rate=Decimal("20")), VatRate(since=dt.date(2026, 1, 1), rate=Decimal("22"))]


class LawfulVatRate(Section):
    rate: Decimal = Field(description="ставка НДС, %")
    since: dt.date | None = Field(None, description="с какой даты договора ставка допустима (пусто — без начала)")
    until: dt.date | None = Field(None, description="до какой даты договора (не включая её) ставка допустима")
    applies: str = Field(description="когда ставка применяется — текст для менеджера и юриста")

    def in_force(self, day: dt.date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day < self.until)


def _default_lawful() -> list[LawfulVatRate]:
    return [
        LawfulVatRate(rate=Decimal("22"), since=dt.date(2026, 1, 1),
                      applies="основная ставка с 1 января 2026 г. (п. 3 ст. 164 НК РФ в ред. Федерального закона "
                              "от 28.11.2025 № 425-ФЗ)"),
        LawfulVatRate(rate=Decimal("20"), since=dt.date(2019, 1, 1), until=dt.date(2026, 1, 1),
                      applies="основная ставка до 1 января 2026 г. (п. 3 ст. 164 НК РФ в прежней редакции)"),
        LawfulVatRate(rate=Decimal("10"),
                      applies="товары из перечня п. 2 ст. 164 НК РФ (продовольственные, детские, медицинские и др.)"),
        LawfulVatRate(rate=Decimal("0"), applies="экспорт и другие операции п. 1 ст. 164 НК РФ"),
    ]


class VatSettings(Section):
    rates: list[VatRate] = Field(
        default_factory=_default_vat,
        description="основная ставка НДС по датам договора (425-ФЗ: 20 % до 2026-01-01, 22 % с 2026-01-01); "
                    "её берёт форма без ставки",
    )
    lawful: list[LawfulVatRate] = Field(
        default_factory=_default_lawful,
        description="законные ставки НДС: [[vat.lawful]] с rate, since/until и applies; другую ставку форма "
                    "указать не может",
    )
    no_vat_basis: str = Field(
        "", description="основание «без НДС», которое печатается в договоре (например, «в связи с применением "
                        "Продавцом упрощённой системы налогообложения (ст. 346.11 НК РФ)»); пусто — «без НДС» "
                        "в форме не принимается",
    )


class OffersSettings(Section):
    valid_days: int = Field(30, ge=1, le=365, description="срок действия коммерческого предложения, календарных дней")


class LimitsSettings(Section):
    max_form_bytes: int = Field(5_000_000, description="наибольший размер формы (ZIP — вместе с вложениями), байт")
    buyer_penalty_rate_max: Decimal = Field(Decimal("0.5"), description="наибольшая пеня Покупателя, % в день")
    seller_penalty_rate_max: Decimal = Field(Decimal("0.1"), description="наибольшая пеня Продавца, % в день")


# A deal number names folders (the dossier, outbox/technical/<deal>): one plain name, nothing that leads elsewhere.
_NUMBER = re.compile(r"[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё_.-]{0,39}")


class NumberingSettings(Section):
    pattern: str = Field("{year}-{seq:04d}", description="шаблон номера сделки: {year} и {seq}")

    @field_validator("pattern")
    @classmethod
    def _one_plain_name(cls, value: str) -> str:
        if "{seq" not in value:
            raise _fault("в шаблоне номера нет {seq}: номера сделок повторялись бы")
        try:
            samples = [value.format(year=2026, seq=seq) for seq in (1, 999999)]
        except (KeyError, IndexError, ValueError) as exc:
            raise _fault(f"шаблон номера не раскрывается ({exc}): допустимы только {{year}} и {{seq}}") from None
        for sample in samples:
            if not _NUMBER.fullmatch(sample) or ".." in sample:
                raise _fault(f"номер «{sample}» станет именем папки досье: допустимы буквы, цифры, «-», «_» "
                                 "и «.» (не первой), до 40 знаков; без «/», «\\» и «..»")
        return value


class FolderSettings(Section):
    inbox: str = Field("inbox", description="куда менеджеры кладут формы")
    outbox: str = Field("outbox", description="папки согласования и исходящие документы")
    templates: str = Field("templates", description="шаблоны документов и писем")
    clients: str = Field("clients", description="досье клиентов")
    registers: str = Field("registers", description="реестр «Предварительные заказы»")
    archive: str = Field("archive", description="архивные выгрузки")
    state: str = Field(".docgen", description="служебная база и журнал работы")
    share_path: str = Field(
        "", description="рабочее пространство, как его видят люди (например \\\\server\\Договоры): так письма "
                        "называют папки; пусто — путь рабочего пространства на сервере")

    @field_validator("inbox", "outbox", "templates", "clients", "registers", "archive", "state")
    @classmethod
    def _inside(cls, value: str, info: ValidationInfo) -> str:
        """Shared folders lie inside the workspace (a relative path without «..»); only the service's
        own state may be put elsewhere by an absolute path (a local disk: SQLite on a share loses data)."""
        parts = Path(value.replace("\\", "/")).parts
        outside = Path(value).is_absolute() or bool(re.match(r"^[A-Za-z]:", value))
        if not value.strip() or ".." in parts or (outside and info.field_name != "state"):
            also = " (или абсолютный путь на локальном диске)" if info.field_name == "state" else ""
            raise _fault(f"папка «{value}» должна лежать внутри рабочего пространства: относительный путь "
                         f"без «..»{also}")
        return value


class WatchSettings(Section):
    polling: bool = Field(False, description="опрашивать папки вместо событий ФС (сетевые диски SMB/NFS)")
    settle_seconds: float = Field(0.5, description="файл берётся, если столько секунд не менялся")
    poll_seconds: float = Field(1.0, description="период опроса папок в режиме polling")
    rescan_seconds: float = Field(30.0, description="период страховочного пересмотра папок")
    comments_wait_seconds: float = Field(
        60.0, ge=0, le=3600, description="сколько секунд возврат без замечаний (в returned/) ждёт файл .txt с "
                                         "замечаниями; потом такой возврат не принимается и проект возвращается "
                                         "рецензенту с письмом (проверяется при пересмотре папок: самое позднее "
                                         "через watch.rescan_seconds после срока)")


class StoreSettings(Section):
    lock_timeout: float = Field(
        30.0, description="секунд ждать, пока база занята другим процессом; дольше — шаг откладывается и повторяется"
    )
    url: str = Field(
        "", description="база в PostgreSQL, postgresql://пользователь@сервер:порт/база (пусто — SQLite в папке "
                        "state); пароль — только через password_env"
    )
    password_env: str = Field(
        "", description="имя переменной окружения с паролем к PostgreSQL (пусто — пароль не нужен или берётся "
                        "из ~/.pgpass)"
    )
    office: str = Field(
        "", description="офис этого рабочего пространства на общей базе PostgreSQL: реестр, status, проверки и "
                        "выписки видят только его сделки, номера сделок — общие для всех офисов (пусто — один офис)"
    )

    @field_validator("url")
    @classmethod
    def _postgres_only(cls, value: str) -> str:
        """Empty (SQLite) or a postgresql:// URL without a password in it (the file is read by many)."""
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres"):
            raise _fault(f"адрес базы «{value}» должен начинаться с postgresql:// (или оставьте его пустым: SQLite)")
        if parts.password is not None:
            raise _fault("пароль в адресе базы недопустим: файл настроек читают многие; уберите его из url и "
                         "задайте password_env — имя переменной окружения с паролем")
        return value

    @property
    def postgres(self) -> bool:
        return bool(self.url)


class PdfSettings(Section):
    enabled: bool = Field(True, description="делать PDF-версии через LibreOffice (если он установлен)")
    workers: int = Field(
        1, ge=1, le=16, description="сколько LibreOffice держать запущенными: столько PDF делается одновременно "
                                    "(каждый — ещё около 230 МБ памяти; см. «PDF-версии» в docs/admin.md)",
    )
    timeout: float = Field(
        120.0, gt=0, description="секунд на один PDF; дольше — этот LibreOffice перезапускается, документ — другому"
    )


# The PDF keys [documents] had before [pdf]: still read, said at start (and by doctor) as deprecated.
DEPRECATED_PDF_KEYS = {"pdf": "enabled", "pdf_timeout": "timeout"}


class DocumentsSettings(Section):
    pdf: bool | None = Field(None, description="устарело, читается как [pdf] enabled")
    pdf_timeout: float | None = Field(None, gt=0, description="устарело, читается как [pdf] timeout")


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


class DeadlinesSettings(Section):
    """Working days per stage; a route rule's stage by its role (`ceo = 3`), 1 day when not given."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Annotated[int, Field(ge=0, le=60)]] = Field(init=False)

    lawyer: int = Field(2, ge=0, le=60, description="рабочих дней у юриста, считая со дня после поступления проекта")
    finance: int = Field(1, ge=0, le=60, description="рабочих дней у руководителя Финансового департамента")
    director: int = Field(1, ge=0, le=60, description="рабочих дней у директора направления")
    escalate_after: int = Field(
        1, ge=0, le=60, description="сколько рабочих дней просрочки до письма директору направления (эскалации)"
    )
    remind_at: dt.time = Field(
        dt.time(9, 0), description="в котором часу рабочего дня рассылаются напоминания о просрочке (ЧЧ:ММ)"
    )

    def days(self, role: str) -> int:
        """The working days a stage of `role` may take."""
        extra = self.__pydantic_extra__ or {}
        return int(getattr(self, role)) if role in BUILT_IN_ROLES else int(extra.get(role, EXTRA_STAGE_DAYS))


EXTRA_STAGE_DAYS = 1  # a route rule's stage without its own [deadlines] key


class AbsenceSettings(Section):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    EXAMPLE: typing.ClassVar[dict[str, object]] = {
        "who": "lawyer", "from": dt.date(2026, 12, 1), "to": dt.date(2026, 12, 14),
        "deputy": "Заместитель юриста <deputy@localhost>"}

    who: str = Field(description="кто отсутствует: роль (lawyer, finance, director, роль правила) или e-mail")
    start: dt.date = Field(alias="from", description="первый день отсутствия")
    end: dt.date = Field(alias="to", description="последний день отсутствия (включительно)")
    deputy: str = Field(description="заместитель: «Имя <e-mail>»; получает письма и решает за отсутствующего")

    @field_validator("who", "deputy")
    @classmethod
    def _addresses(cls, value: str) -> str:
        return _mailbox(value)


BUILT_IN_ROLES = ("lawyer", "finance", "director")  # docgen.workspace.Role
# Names a route rule's role cannot take: they are stages, folders of outbox/ or other [people] keys.
RESERVED_ROLES = frozenset({*BUILT_IN_ROLES, "returned", "signed", "cancelled", "manager", "system", "mail",
                            "economics", "technical", "escalation", "unrecognized", "approved"})
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class RouteRule(Section):
    role: str = Field(description="роль добавляемого этапа: папки outbox/<роль>/, адрес [people].<роль>")
    title: str = Field(description="название этапа, как его видят люди («Генеральный директор»)")
    before: str = Field("director", description="перед каким этапом встаёт: lawyer, finance, director или роль "
                                               "правила выше")
    when_total_above: Decimal | None = Field(None, description="условие: сумма договора с НДС больше, руб.")
    when_procedure: list[Literal["fixed", "price_list", "calculation"]] = Field([], description="условие: порядок определения цены из списка "
                                                      "(fixed, price_list, calculation)")
    when_prepayment_below: Decimal | None = Field(
        None, description="условие: доля цены до запуска в производство меньше, %"
    )


class RouteSettings(Section):
    rules: list[RouteRule] = Field(
        [], description="правила маршрута: этап добавляется, если выполнено любое из условий when_*"
    )
class ObligationsSettings(Section):
    """After signing; the reminders go out with the stage reminders, at `[deadlines] remind_at`."""

    remind_days_before: int = Field(
        3, ge=0, le=60, description="за сколько рабочих дней до срока оплаты или поставки напомнить менеджеру "
                                    "и менеджеру по сопровождению (0 — только в день срока и после него)")
    claim_answer_days: int = Field(
        10, ge=1, le=60, description="срок ответа на претензию, рабочих дней — если в подписанном договоре не "
                                     "найден претензионный пункт (закладка docgen_claim_answer), чей срок главнее")


class WebSettings(Section):
    host: str = Field("127.0.0.1", description="docgen serve: адрес, на котором слушает доска (снаружи — через обратный прокси)")
    port: int = Field(8080, description="docgen serve: порт доски")
    page_size: int = Field(50, ge=10, le=500, description="сделок на одной странице доски")
    session_hours: float = Field(12, gt=0, description="часов действует вход на доску, после чего нужно войти снова")
    login_attempts: int = Field(5, ge=1, description="неудачных попыток входа на один адрес, после которых вход закрыт на время")
    login_window_minutes: float = Field(15, gt=0, description="минут, за которые считаются неудачные попытки входа")
    trusted_proxies: list[str] = Field(
        ["127.0.0.1", "::1"],
        description="адреса обратных прокси, чьим заголовкам X-Forwarded-For/-Proto (и user_header) доска верит",
    )
    user_header: str = Field(
        "", description="единый вход: заголовок с e-mail пользователя от доверенного прокси (например X-Remote-User); "
                        "пусто — только пароли",
    )


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
    offers: OffersSettings = Field(default_factory=OffersSettings, description="коммерческие предложения")
    lead_days: dict[str, int] = Field(
        default_factory=lambda: {"supply": 30, "works": 40},
        description="срок производства по типу договора, рабочих дней: поставка не может быть короче",
    )
    numbering: NumberingSettings = Field(default_factory=NumberingSettings, description="номера сделок")
    folders: FolderSettings = Field(default_factory=FolderSettings, description="папки рабочего пространства")
    store: StoreSettings = Field(default_factory=StoreSettings, description="служебная база")
    watch: WatchSettings = Field(default_factory=WatchSettings, description="наблюдение за папками")
    pdf: PdfSettings = Field(default_factory=PdfSettings, description="PDF-версии документов через LibreOffice")
    documents: DocumentsSettings = Field(
        default_factory=DocumentsSettings, description="устаревший раздел: его ключи PDF перенесены в [pdf]"
    )
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings, description="архивные выгрузки")
    calendar: CalendarSettings = Field(
        default_factory=CalendarSettings, description="производственный календарь: рабочие дни для сроков"
    )
    obligations: ObligationsSettings = Field(
        default_factory=ObligationsSettings,
        description="после подписания: напоминания о сроках оплаты и поставки, претензии",
    )
    deadlines: DeadlinesSettings = Field(
        default_factory=DeadlinesSettings, description="сроки этапов согласования и напоминания"
    )
    absences: list[AbsenceSettings] = Field(
        [], description="отсутствия: [[absences]] — на это время письма и решения переходят к заместителю"
    )
    route: RouteSettings = Field(default_factory=RouteSettings, description="маршрут согласования")
    web: WebSettings = Field(default_factory=WebSettings, description="веб-доска docgen serve и её API")

    @model_validator(mode="after")
    def _route_and_absences_fit(self) -> Settings:
        faults = _route_faults(self) + _absence_faults(self) + _deprecated_pdf_keys(self)
        if faults:  # one line each, every line naming its key
            raise PydanticCustomError("route_absences", "{faults}", {"faults": "\n".join(faults)})
        return self

    def deprecations(self) -> list[str]:
        """What the settings still say by an old name, one Russian line each (logged at start, shown by doctor)."""
        return [f"[documents] {old} устарел: пишите [pdf] {new} (старое имя пока действует)"
                for old, new in DEPRECATED_PDF_KEYS.items() if getattr(self.documents, old) is not None]

    def route_roles(self) -> list[str]:
        """The roles of the route rules, in their order."""
        return [rule.role for rule in self.route.rules]

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


def _route_faults(settings: Settings) -> list[str]:
    """Each rule's role is a free, well-formed name with a person; `before` names a stage already known."""
    faults, known = [], list(BUILT_IN_ROLES)
    people = settings.people.model_extra or {}
    for n, rule in enumerate(settings.route.rules, start=1):
        where = f"route.rules[{n}]"
        if rule.before not in known:
            faults.append(f"{where}.before: «{rule.before}» — не этап маршрута; допустимы {', '.join(known)}")
        if not ROLE_NAME.match(rule.role):
            faults.append(f"{where}.role: «{rule.role}» — латинские строчные буквы, цифры и _, с буквы")
            continue
        if rule.role in RESERVED_ROLES or rule.role in known:
            faults.append(f"{where}.role: имя «{rule.role}» уже занято")
            continue
        if rule.role not in people:
            faults.append(f"{where}: нет адреса [people].{rule.role} — кому приходит этап «{rule.title}»")
        known.append(rule.role)
    for key in people:
        if key not in known:
            close = difflib.get_close_matches(key, [*PeopleSettings.model_fields, *known], n=1)
            hint = f"возможно, имелось в виду «{close[0]}»" if close else "такого получателя нет"
            faults.append(f"people.{key}: {hint}; свои адреса в [people] — только у ролей правил маршрута "
                          f"({', '.join(known[3:]) or 'правил нет'})")
    for key in settings.deadlines.model_extra or {}:
        if key not in known:
            faults.append(f"deadlines.{key}: такого этапа нет; этапы: {', '.join(known)}")
    return faults


def _deprecated_pdf_keys(settings: Settings) -> list[str]:
    """[documents] pdf / pdf_timeout carried over to [pdf]; the same key given both ways must agree."""
    faults = []
    for old, new in DEPRECATED_PDF_KEYS.items():
        value = getattr(settings.documents, old)
        if value is None:
            continue
        if new in settings.pdf.model_fields_set and getattr(settings.pdf, new) != value:
            faults.append(f"documents.{old}: устаревшее имя для pdf.{new}, и они расходятся "
                          f"({_shown(value)} и {_shown(getattr(settings.pdf, new))}); оставьте только [pdf] {new}")
        else:
            setattr(settings.pdf, new, value)
    return faults


def _absence_faults(settings: Settings) -> list[str]:
    faults, roles = [], {*BUILT_IN_ROLES, *settings.route_roles()}
    for n, absence in enumerate(settings.absences, start=1):
        where = f"absences[{n}]"
        if absence.who not in roles and "@" not in absence.who:
            faults.append(f"{where}.who: «{absence.who}» — не роль ({', '.join(sorted(roles))}) и не e-mail")
        if absence.end < absence.start:
            faults.append(f"{where}: to ({absence.end}) раньше from ({absence.start})")
        if "@" not in absence.deputy:
            faults.append(f"{where}.deputy: нужен адрес заместителя, «Имя <e-mail>»")
    return faults


def load_settings(root: Path, environ: dict[str, str] | None = None) -> Settings:
    """Read docgen.toml from `root` (if any) and DOCGEN_* overrides from `environ`."""
    environ = dict(os.environ if environ is None else environ)
    data = _read_toml(root / SETTINGS_FILE)
    token = _ENVIRON.set(environ)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise SettingsError(explain(exc, model=Settings)) from None
    except pydantic_settings.SettingsError as exc:  # an environment value that is not valid JSON
        raise SettingsError(explain_source(exc)) from None
    finally:
        _ENVIRON.reset(token)
    settings.smtp.password = environ.get(settings.smtp.password_env, "")
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"{path.name}: файл настроек не читается: сохраните его в кодировке UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path.name}: файл настроек не читается: {toml_error(exc)}") from None


def settings_table(model: type[BaseModel] = Settings, prefix: str = "") -> list[tuple[str, str, str]]:
    """Every leaf setting as (dotted key, default, description): the source of the table in docs/admin.md."""
    rows: list[tuple[str, str, str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        inner = model_inside(field.annotation)
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


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {v}" for k, v in value.items()) + "}"
    return str(value)


def settings_markdown() -> str:
    """The settings table of docs/admin.md (between its settings-table markers)."""
    lines = ["| ключ | по умолчанию | что задаёт |", "|---|---|---|"]
    for key, default, description in settings_table():
        lines.append(f"| `{key}` | {default.replace('|', '/')} | {description} |")
    return "\n".join(lines)
