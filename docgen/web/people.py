"""Who is who on the board: the people docgen.toml names and the deals' managers, what each sees and decides.

Roles are data here: a deal's stage names the role that decides it (as `status --json` names it), and
whoever the settings name for that role in the deal's division holds it. Every company-wide person of
`[people]` sees every deal; a division's director and support manager see that division's; a manager
sees their own.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from email.utils import parseaddr

from docgen.errors import SettingsError
from docgen.settings import Settings
from docgen.store import DealRow, Store
from docgen.web.accounts import normal_email
from docgen.workflow import stages
from docgen.workflow.people import Holder, holder, role_address, role_addresses
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
            return "1 = 1", ()
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


def _roles_of(settings: Settings, email: str) -> tuple[set[str], set[str], set[str], list[str]]:
    """The [people] keys, directed and supported divisions of an address, and the names it goes by there."""
    people = company_people(settings)
    company = {key for key, address in people.items() if email_of(address) == email}
    directs = {code for code, d in settings.divisions.items() if email_of(d.director) == email}
    supports = {code for code, d in settings.divisions.items() if email_of(d.support) == email}
    names = [name_of(people[key]) for key in sorted(company)]
    names += [name_of(settings.divisions[c].director) for c in sorted(directs)]
    names += [name_of(settings.divisions[c].support) for c in sorted(supports)]
    return company, directs, supports, names


def find_person(settings: Settings, store: Store, *, email: str, day: dt.date) -> Person | None:
    """The person with this address, as the settings and the deals know them on `day` (a deputy sees what the
    absent person they stand in for sees); None for a stranger."""
    email = normal_email(email)
    if not email:
        return None
    company, directs, supports, names = _roles_of(settings, email)
    for absence in settings.absences:
        if absence.start <= day <= absence.end and email_of(absence.deputy) == email:
            names.append(name_of(absence.deputy))
            owners = [absence.who] if "@" in absence.who else role_addresses(settings, absence.who)
            for owner in owners:
                owned = _roles_of(settings, email_of(owner))
                company, directs, supports = company | owned[0], directs | owned[1], supports | owned[2]
    managed = store.conn.execute("SELECT manager FROM deals WHERE manager_email = ? COLLATE NOCASE "
                                 "ORDER BY number DESC LIMIT 1", (email,)).fetchone()
    if managed is not None:
        names.append(managed["manager"])
    if not (company or directs or supports or managed):
        return None
    return Person(email=email, name=names[0], company=frozenset(company), directs=frozenset(directs),
                  supports=frozenset(supports), manages=managed is not None)


def known_people(settings: Settings, store: Store) -> dict[str, str]:
    """Everyone who may have an account: address → name (deputies of [[absences]] included)."""
    out: dict[str, str] = {}
    addresses = [*company_people(settings).values(), *(a.deputy for a in settings.absences)]
    for division in settings.divisions.values():
        addresses += [division.director, division.support]
    for address in addresses:
        out.setdefault(email_of(address), name_of(address))
    for row in store.conn.execute("SELECT manager, manager_email FROM deals ORDER BY number"):
        out.setdefault(normal_email(row["manager_email"]), row["manager"])
    return out


# deciding


def deciding_roles(settings: Settings) -> tuple[str, ...]:
    """The roles whose stage a decision ends (a stage of this name is decided by that role): the built-in
    ones and the route rules' roles."""
    return (*(str(role) for role in Role), *settings.route_roles())


def role_title(settings: Settings, role: str) -> str:
    """«Юрист»; a route rule's role by its rule's title."""
    titles = {rule.role: rule.title for rule in settings.route.rules}
    return titles.get(role) or stages.role_title(role)


def stage_name(settings: Settings, stage: str) -> str:
    """«у юриста»; a route rule's stage: «на согласовании: Генеральный директор»."""
    if stage in stages.STAGE_TITLES:
        return stages.STAGE_TITLES[stage]  # type: ignore[index]
    return f"на согласовании: {role_title(settings, stage)}"


def acting_for(settings: Settings, person: Person, *, role: str, division: str, day: dt.date) -> Holder | None:
    """As whom `person` decides `role` on a deal of `division` on `day`: the role's owner as themself (even
    while away), the deputy standing in for the absent owner; None for anyone else."""
    try:
        owner = role_address(settings, role, division=division)
    except (SettingsError, KeyError):
        return None
    if email_of(owner) == person.email:
        return Holder(owner, owner)
    current = holder(settings, role, division=division, day=day)
    return current if current.absence is not None and email_of(current.address) == person.email else None


def decision_role(settings: Settings, person: Person, *, row: DealRow, day: dt.date) -> str | None:
    """The role in which `person` decides this deal now, or None."""
    if row.stage in deciding_roles(settings) and acting_for(settings, person, role=row.stage, division=row.division,
                                                             day=day):
        return row.stage
    return None


def decides_some_stage(settings: Settings, person: Person, *, row: DealRow, day: dt.date) -> bool:
    """Whether `person` decides any stage of this deal (so a wrong moment is a conflict, not a refusal)."""
    return any(acting_for(settings, person, role=role, division=row.division, day=day)
               for role in deciding_roles(settings))


def queue_scope(settings: Settings, person: Person, *, day: dt.date) -> tuple[str, tuple[str, ...]]:
    """The SQL condition on `deals` for what waits for `person`: their stages, and their own returned deals."""
    parts, params = [], []
    for role in deciding_roles(settings):
        for division in settings.divisions:
            if acting_for(settings, person, role=role, division=division, day=day):
                parts.append("(stage = ? AND division = ?)")
                params += [role, division]
    parts.append("(stage = 'returned' AND manager_email = ? COLLATE NOCASE)")
    params.append(person.email)
    return "(" + " OR ".join(parts) + ")", tuple(params)


def resting_holder(settings: Settings, row: DealRow) -> str:
    """Who has a deal no reviewer holds: the manager of a returned one, the support manager once signed."""
    if row.stage == "returned":
        return row.manager
    division = settings.divisions.get(row.division)
    if row.stage == "signed" and division is not None:
        return name_of(division.support)
    return ""
