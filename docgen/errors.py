"""The one exception tree of docgen; the CLI turns each into a Russian message and an exit code.

    DocgenError                       a user-facing problem (exit code 1)
    ├── FormError                     a form cannot be accepted
    │   ├── FormUnreadable            not a form at all: empty, binary, malformed, too big
    │   └── FormInvalid               read, but faults in its essentials (carries the faults)
    ├── SettingsError                 docgen.toml or a DOCGEN_* variable is wrong
    ├── StoreError                    the store cannot be opened, or is newer than this docgen
    ├── TemplateError                 a template is missing, broken, or asks for an unknown name
    ├── DealNotFound                  no deal with that number
    ├── WorkflowError                 a decision that does not fit the deal's stage
    ├── ConversionError               LibreOffice failed to make a PDF
    ├── DocumentUnreadable            a DOCX to compare is not a readable document
    ├── MailError                     a notice could not be built or sent
    ├── AccountError                  a board account cannot be set: unknown person, weak password
    ├── AccessDenied                  a person may not see this deal, or not decide for its stage
    ├── ArchiveError                  an export or an archive to verify is wrong
    └── ObligationError               an event that does not fit the deal (a future date, more delivered than sold)
        └── StatementInvalid          a bank statement that is not a readable 1CClientBankExchange file (the line)
"""

from __future__ import annotations

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
    """The form was read but has faults in its essentials."""


class SettingsError(DocgenError):
    """docgen.toml or an environment override is wrong."""


class StoreError(DocgenError):
    """The state store cannot be used: newer than this docgen, damaged, or not this workspace's."""


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


class ConversionError(DocgenError):
    """LibreOffice could not produce a PDF."""


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
