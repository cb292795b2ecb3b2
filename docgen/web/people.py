"""Who is who on the board: the people docgen.toml names and the deals' managers, what each sees and decides.

Roles are data here: a deal's stage names the role that decides it (as `status --json` names it), and
whoever the settings name for that role in the deal's division holds it. Every company-wide person of
`[people]` sees every deal; a division's director and support manager see that division's; a manager
sees their own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email.utils import parseaddr

from docgen.settings import Settings
from docgen.store import DealRow, Store
from docgen.web.accounts import normal_email
from docgen.workflow.notices import role_address
from docgen.workflow.stages import ROLE_TITLES, STAGE_OF_ROLE
from docgen.workspace import Role

COMPANY_TITLES = {"lawyer": "юрист", "finance": "руководитель Финансового департамента",
                  "economics": "экономический отдел", "technical": "технический отдел", "archivist": "архивариус"}


@functools.lru_cache(maxsize=1024)  # parseaddr is slow, and the board asks about the same few people
def email_of(address: str) -> str:
    return normal_email(parseaddr(address)[1])


@functools.lru_cache(maxsize=1024)
def name_of(address: str) -> str:
    name, addr = parseaddr(address)
    return name or addr


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    company: frozenset[str] = frozenset()  # the [people] keys naming this address
    directs: frozenset[str] = frozenset()  # divisions this person directs
    supports: frozenset[str] = frozenset()  # divisions this person leads clients of
    manages: bool = False  # a manager of at least one deal

    @property
    def sees_all(self) -> bool:
        return bool(self.company)

    @property
    def divisions(self) -> frozenset[str]:
        return self.directs | self.supports

    def sees(self, row: DealRow) -> bool:
        return self.sees_all or row.division in self.divisions or normal_email(row.manager_email) == self.email

    def scope(self) -> tuple[str, tuple[str, ...]]:
        """The SQL condition on `deals` for what this person sees, and its parameters."""
        if self.sees_all:
            return "1", ()
        divisions = tuple(sorted(self.divisions))
        marks = ", ".join("?" * len(divisions))
        condition = "manager_email = ? COLLATE NOCASE" + (f" OR division IN ({marks})" if divisions else "")
        return f"({condition})", (self.email, *divisions)

    def titles(self, settings: Settings) -> list[str]:
        """What the person is, in Russian, for the page header."""
        out = [COMPANY_TITLES.get(key, key) for key in sorted(self.company)]
        out += [f"директор: {settings.divisions[d].title}" for d in sorted(self.directs)]
        out += [f"сопровождение: {settings.divisions[d].title}" for d in sorted(self.supports)]
        return out + (["менеджер"] if self.manages else [])


def company_people(settings: Settings) -> dict[str, str]:
    """Every [people] key and its address (a route rule's role, once [people] holds it, included)."""
    return {key: value for key, value in settings.people.model_dump().items() if isinstance(value, str) and value}


def find_person(settings: Settings, store: Store, *, email: str) -> Person | None:
    """The person with this address, as the settings and the deals know them; None for a stranger."""
    email = normal_email(email)
    if not email:
        return None
    names: list[str] = []
    company = {key for key, address in company_people(settings).items() if email_of(address) == email}
    names += [name_of(company_people(settings)[key]) for key in sorted(company)]
    directs = {code for code, d in settings.divisions.items() if email_of(d.director) == email}
    supports = {code for code, d in settings.divisions.items() if email_of(d.support) == email}
    names += [name_of(settings.divisions[c].director) for c in sorted(directs)]
    names += [name_of(settings.divisions[c].support) for c in sorted(supports)]
    managed = store.conn.execute("SELECT manager FROM deals WHERE manager_email = ? COLLATE NOCASE "
                                 "ORDER BY number DESC LIMIT 1", (email,)).fetchone()
    if managed is not None:
        names.append(managed["manager"])
    if not (company or directs or supports or managed):
        return None
    return Person(email=email, name=names[0], company=frozenset(company), directs=frozenset(directs),
                  supports=frozenset(supports), manages=managed is not None)


def known_people(settings: Settings, store: Store) -> dict[str, str]:
    """Everyone who may have an account: address → name."""
    out: dict[str, str] = {}
    for address in company_people(settings).values():
        out.setdefault(email_of(address), name_of(address))
    for division in settings.divisions.values():
        for address in (division.director, division.support):
            out.setdefault(email_of(address), name_of(address))
    for row in store.conn.execute("SELECT manager, manager_email FROM deals ORDER BY number"):
        out.setdefault(normal_email(row["manager_email"]), row["manager"])
    return out


# deciding


def deciding_roles() -> tuple[str, ...]:
    """The roles whose stage a decision ends: a stage of this name is decided by that role."""
    return tuple(str(role) for role in STAGE_OF_ROLE)


def role_title(role: str) -> str:
    return ROLE_TITLES.get(role, role)  # type: ignore[call-overload]


def holder(settings: Settings, role: str, *, division: str) -> str | None:
    """The address that decides for `role` on a deal of `division`, or None if the settings name no one."""
    try:
        return role_address(settings, Role(role), division=division)
    except (ValueError, KeyError, AttributeError):
        return None


def holds(settings: Settings, person: Person, *, role: str, division: str) -> bool:
    address = holder(settings, role, division=division)
    return address is not None and email_of(address) == person.email


def decision_role(settings: Settings, person: Person, *, row: DealRow) -> str | None:
    """The role in which `person` decides this deal now, or None."""
    if row.stage in deciding_roles() and holds(settings, person, role=row.stage, division=row.division):
        return row.stage
    return None


def decides_some_stage(settings: Settings, person: Person, *, row: DealRow) -> bool:
    """Whether `person` decides any stage of this deal (so a wrong moment is a conflict, not a refusal)."""
    return any(holds(settings, person, role=role, division=row.division) for role in deciding_roles())


def queue_scope(settings: Settings, person: Person) -> tuple[str, tuple[str, ...]]:
    """The SQL condition on `deals` for what waits for `person`: their stages, and their own returned deals."""
    parts, params = [], []
    for role in deciding_roles():
        for division in settings.divisions:
            if holds(settings, person, role=role, division=division):
                parts.append("(stage = ? AND division = ?)")
                params += [role, division]
    parts.append("(stage = 'returned' AND manager_email = ? COLLATE NOCASE)")
    params.append(person.email)
    return "(" + " OR ".join(parts) + ")", tuple(params)


def holder_name(settings: Settings, row: DealRow) -> str:
    """Who holds the deal now: the reviewer of its stage, the manager of a returned one, support once signed."""
    if row.stage in deciding_roles():
        address = holder(settings, row.stage, division=row.division)
        return name_of(address) if address else ""
    if row.stage == "returned":
        return row.manager
    division = settings.divisions.get(row.division)
    if row.stage == "signed" and division is not None:
        return name_of(division.support)
    return ""
