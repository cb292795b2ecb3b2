"""The folders of a workspace, by role, as the product contract names them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath

from docgen.files import within
from docgen.settings import SETTINGS_FILE, Settings


class Role(StrEnum):
    """The built-in roles, on every route. A role in general is a `str`: one of these, or the role of a
    route rule (`[[route.rules]] role`), whose stage, folders and person come from the settings."""

    LAWYER = "lawyer"
    FINANCE = "finance"
    DIRECTOR = "director"


class Stage(StrEnum):
    """Stages with a fixed name. A deal's stage is a role of its route while someone holds it (a route
    rule's stage is named by its role), then `returned` or `signed`."""

    LAWYER = "lawyer"
    FINANCE = "finance"
    DIRECTOR = "director"
    RETURNED = "returned"
    SIGNED = "signed"
    CANCELLED = "cancelled"


# Stages in which nobody holds the deal: no deadline, no folder, no reminder.
RESTING_STAGES = frozenset({Stage.RETURNED, Stage.SIGNED, Stage.CANCELLED})


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; folders are created on demand by whoever writes into them."""

    root: Path
    settings: Settings

    def exists(self) -> bool:
        """Whether `root` already is a workspace: settings, an inbox or a state folder are there."""
        return self.root.is_dir() and ((self.root / SETTINGS_FILE).is_file() or self.inbox.is_dir()
                                       or self.state.is_dir())

    def _at(self, name: str) -> Path:
        return within(self.root, self.root / name)

    @property
    def inbox(self) -> Path:
        return self._at(self.settings.folders.inbox)

    @property
    def rejected(self) -> Path:
        return self.inbox / "rejected"

    @property
    def bank_inbox(self) -> Path:
        """Where finance drops bank statements (1CClientBankExchange)."""
        return self.inbox / "bank"

    @property
    def bank_processed(self) -> Path:
        """Statements taken, kept as they were received."""
        return self.bank_inbox / "processed"

    @property
    def cancel_inbox(self) -> Path:
        """Where a manager drops a deal's draft or form (with the reason) to cancel the deal."""
        return self.inbox / "cancelled"

    @property
    def outbox(self) -> Path:
        return self._at(self.settings.folders.outbox)

    @property
    def templates(self) -> Path:
        return self._at(self.settings.folders.templates)

    @property
    def contract_templates(self) -> Path:
        return self.templates / "contracts"

    @property
    def handover_templates(self) -> Path:
        return self.templates / "handover"

    @property
    def letter_templates(self) -> Path:
        """Letters to the buyer: the claim (претензия)."""
        return self.templates / "letters"

    @property
    def offer_templates(self) -> Path:
        return self.templates / "offers"

    @property
    def mail_templates(self) -> Path:
        return self.templates / "mail"

    @property
    def form_templates(self) -> Path:
        return self.templates / "forms"

    @property
    def clients(self) -> Path:
        return self._at(self.settings.folders.clients)

    @property
    def registers(self) -> Path:
        return self._at(self.settings.folders.registers)

    @property
    def archive(self) -> Path:
        return self._at(self.settings.folders.archive)

    @property
    def state(self) -> Path:
        return self._at(self.settings.folders.state)

    @property
    def mail_spool(self) -> Path:
        return self.outbox / "mail"

    @property
    def economics(self) -> Path:
        return self.outbox / "economics"

    @property
    def technical(self) -> Path:
        return self.outbox / "technical"

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role the settings know: the built-in ones, then the route rules' roles."""
        return (*Role, *self.settings.route_roles())

    def shown(self, path: Path, *, folder: bool = True) -> str:
        """`path` as the people reading a letter see it: under `[folders] share_path` when set
        («\\\\server\\Договоры\\outbox\\lawyer\\»), else on the server; a folder ends in its separator, a file (`folder=False`) does not."""
        share = self.settings.folders.share_path.strip()
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return str(path)
        windows = share.startswith("\\\\") or "\\" in share or share[1:2] == ":"
        base = (PureWindowsPath if windows else PurePosixPath)(share) if share else PurePosixPath(self.root)
        shown = str(base.joinpath(*parts))
        sep = "\\" if windows else "/"
        return shown + sep if folder and not shown.endswith(sep) else shown

    def review(self, role: str) -> Path:
        """The folder of a role's stage: outbox/<role>/ with approved/ and returned/ inside."""
        return self.outbox / str(role)

    def contract_types(self) -> set[str]:
        """Contract types = the DOCX templates in templates/contracts/ (the approval sheet and
        the client transfer agreement live there too but are not contract types)."""
        folder = self.contract_templates
        if not folder.is_dir():
            return set()
        return {p.stem for p in folder.glob("*.docx") if not p.name.startswith("~$")} - NON_CONTRACT_TEMPLATES


NON_CONTRACT_TEMPLATES = {"approval-sheet", "client-transfer"}
