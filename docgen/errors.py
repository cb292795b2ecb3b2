"""The one exception tree of docgen; the CLI turns each into a Russian message and an exit code.

    DocgenError                       a user-facing problem (exit code 1)
    ├── FormError                     a form cannot be accepted
    │   ├── FormUnreadable            not a form at all: empty, binary, malformed, too big
    │   └── FormInvalid               read, but faults in its essentials (carries the faults)
    ├── SettingsError                 docgen.toml or a DOCGEN_* variable is wrong
    ├── StoreError                    the store cannot be opened, is newer than this docgen, or is
    │   │                             not this workspace's
    │   ├── WorkspaceBusy             another `docgen watch` holds the workspace
    │   └── NotAWorkspace             --root names a folder that is not a workspace (a mistyped path)
    ├── UnsafePath                    a path built from settings or values would leave the workspace
    ├── UnsafeFile                    a dropped entry docgen will not read through: a link, a device
    ├── FileConflict                  a different file already sits where docgen would write
    ├── DossierDamaged                a deal's dossier lacks what the store says it holds
    ├── TemplateError                 a template is missing, broken, or asks for an unknown name
    ├── DealNotFound                  no deal with that number
    ├── WorkflowError                 a decision that does not fit the deal's stage
    ├── Postponed                     a step the machine cannot do now (disk, store, LibreOffice): later
    ├── ConversionError               LibreOffice failed to make a PDF of this document
    │   ├── ConverterUnavailable      LibreOffice itself is down or cannot start (transient)
    │   └── ConverterCrashed          one LibreOffice died or hung on the document (a pool retries elsewhere)
    ├── DocumentUnreadable            a DOCX to compare is not a readable document
    ├── MailError                     a notice could not be built or sent
    ├── AccountError                  a board account cannot be set: unknown person, weak password
    ├── AccessDenied                  a person may not see this deal, or not decide for its stage
    ├── ArchiveError                  an export or an archive to verify is wrong
    └── ObligationError               an event that does not fit the deal (a future date, more delivered than sold)
        └── StatementInvalid          a bank statement that is not a readable 1CClientBankExchange file (the line)
"""

from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass


class DocgenError(Exception):
    """A problem a person can act on; its str() is the Russian message."""

    exit_code = 1


@dataclass(frozen=True)
class Fault:
    """One fault of a form: the dotted field path and the Russian message."""

    field: str
    message: str


class FormError(DocgenError):
    """A form that cannot be accepted."""

    def __init__(self, source: str, faults: list[Fault]):
        self.source = source
        self.faults = faults
        super().__init__("; ".join(f.message for f in faults))


class FormUnreadable(FormError):
    """The file is not a readable form."""

    def __init__(self, source: str, message: str):
        super().__init__(source, [Fault("", message)])


class FormInvalid(FormError):
    """The form was read but has faults in its essentials; `warnings` are what would have gone with it."""

    def __init__(self, source: str, faults: list[Fault], *, warnings: list[Fault] | None = None):
        super().__init__(source, faults)
        self.warnings = list(warnings or [])


class SettingsError(DocgenError):
    """docgen.toml or an environment override is wrong."""


class StoreError(DocgenError):
    """The state store cannot be used: newer than this docgen, damaged, or not this workspace's."""


class StepBusy(StoreError):
    """Another docgen process on the same PostgreSQL store is doing this step now (docgen.engines claims)."""


class WorkspaceBusy(StoreError):
    """Another `docgen watch` serves this workspace."""


class NotAWorkspace(StoreError):
    """The folder given as the workspace is none: commands refuse it rather than lay one out."""


class UnsafePath(DocgenError):
    """A path built from settings, a form or a stored value would leave the workspace."""


class UnsafeFile(DocgenError):
    """A dropped entry docgen does not read: a symbolic or hard link, a device, a pipe."""

    def __init__(self, name: str, why: str):
        self.name = name
        self.why = why
        super().__init__(f"«{name}»: {why}")


class FileConflict(DocgenError):
    """A different file already sits where docgen would put one; docgen never replaces it."""

    def __init__(self, path: os.PathLike | str, hint: str = "docgen не перезаписывает чужие файлы"):
        self.path = path
        super().__init__(f"на месте «{path}» уже лежит другой файл; {hint}")


class DossierDamaged(DocgenError):
    """A deal's dossier no longer holds what the store says (deleted or moved by hand)."""

    def __init__(self, deal: str, why: str):
        self.deal = deal
        self.why = why
        super().__init__(f"досье сделки {deal} повреждено: {why}")


class TemplateError(DocgenError):
    """A template is missing, broken, or uses a name the deal does not have."""

    def __init__(self, message: str, *, template: str = "", variable: str = ""):
        self.template = template
        self.variable = variable
        super().__init__(message)


class DealNotFound(DocgenError):
    """No deal with that number."""

    def __init__(self, deal: str):
        self.deal = deal
        super().__init__(f"Сделка {deal} не найдена")


class WorkflowError(DocgenError):
    """A decision or a step that does not fit the deal's stage."""


class Postponed(DocgenError):
    """A file or step left for a later try: the machine, not the input, is at fault now."""


class ConversionError(DocgenError):
    """LibreOffice could not produce a PDF of this document."""


class ConverterUnavailable(ConversionError):
    """LibreOffice is down, crashed or cannot start: the same document may convert later."""


class ConverterCrashed(ConversionError):
    """One LibreOffice process died or hung on this document; it was killed, and another may convert it."""


class DocumentUnreadable(DocgenError):
    """A document given to compare is not a readable DOCX."""


class MailError(DocgenError):
    """A notice could not be built or delivered."""


class AccountError(DocgenError):
    """A web board account cannot be set up: the person is not named in docgen.toml or the deals, a weak password."""


class AccessDenied(DocgenError):
    """The person may not see this deal, or may not decide for its stage."""


class ArchiveError(DocgenError):
    """An export cannot be made, or an archive does not verify."""


class ObligationError(DocgenError):
    """A payment, delivery or correction that does not fit the deal, or a claim that has nothing to claim."""


class StatementInvalid(ObligationError):
    """A bank statement that cannot be read; `line` is the 1-based line at fault (0: the file as a whole)."""

    def __init__(self, message: str, *, line: int = 0):
        self.line = line
        self.reason = message
        super().__init__(f"строка {line}: {message}" if line else message)
# Failures of the machine rather than of the input: worth another try, never a reason to reject a form.
_TRANSIENT_ERRNO = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EAGAIN, errno.EBUSY,
                    errno.ETIMEDOUT, errno.EROFS, errno.ENOLCK, errno.ESTALE, errno.EHOSTDOWN,
                    errno.EHOSTUNREACH, errno.ENETDOWN, errno.ENETUNREACH, errno.ECONNRESET, errno.EACCES,
                    errno.EPERM, errno.ENOMEM, errno.EMFILE, errno.ENFILE}
_ERRNO_TEXT = {
    errno.ENOSPC: "на диске нет места", errno.EDQUOT: "исчерпана квота диска",
    errno.EFBIG: "файл больше, чем разрешено записывать", errno.EIO: "ошибка ввода-вывода диска",
    errno.EROFS: "диск доступен только для чтения", errno.EACCES: "нет прав доступа",
    errno.EPERM: "операция не разрешена", errno.ENOENT: "файл или папка не найдены",
    errno.ENAMETOOLONG: "слишком длинное имя файла", errno.ESTALE: "сетевой диск отключён",
}


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is the machine's trouble (disk, store, LibreOffice, network), not the input's:
    the step is tried again later and the manager's form is never rejected for it."""
    if isinstance(exc, ConverterUnavailable):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return True
    from docgen.engines import is_transient_pg

    if is_transient_pg(exc):
        return True
    return isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNO


def describe(exc: BaseException) -> str:
    """A Russian line for a failure of the machine or an unexpected one, for logs and CLI messages."""
    if isinstance(exc, DocgenError):
        return str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        return _sqlite_text(str(exc))
    if isinstance(exc, sqlite3.DatabaseError):
        return f"база docgen повреждена ({exc}); восстановите её из резервной копии (docgen doctor подскажет как)"
    from docgen.engines import describe_pg, is_store_error

    if is_store_error(exc):
        return describe_pg(exc)
    if isinstance(exc, OSError):
        what = _ERRNO_TEXT.get(exc.errno or 0) or exc.strerror or type(exc).__name__
        where = f": {exc.filename}" if exc.filename else ""
        return f"{what}{where}"
    if isinstance(exc, RecursionError):
        return "данные вложены слишком глубоко"
    if isinstance(exc, MemoryError):
        return "не хватило памяти"
    return f"внутренняя ошибка docgen ({type(exc).__name__})"


def _sqlite_text(message: str) -> str:
    lowered = message.lower()
    if "locked" in lowered or "busy" in lowered:
        return "база docgen занята другим процессом дольше, чем можно ждать"
    if "full" in lowered:
        return "база docgen не записывается: на диске нет места"
    if "disk i/o" in lowered:
        return "база docgen не записывается: ошибка ввода-вывода (на диске нет места, или диск недоступен)"
    if "readonly" in lowered or "read-only" in lowered:
        return "база docgen доступна только для чтения (нет прав на запись в неё или в её папку)"
    if "unable to open" in lowered:
        return "база docgen не открывается (нет папки или прав на неё)"
    return f"ошибка базы docgen ({message})"
