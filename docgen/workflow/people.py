"""Who holds a role and who gets a letter: the people of the settings, with deputies for the absent.

While someone is away (`[[absences]]`: a role or a person's e-mail, from–to inclusive), their deputy
gets the letters addressed to them and decides in their place; the decision is recorded as taken
for the absent person. From the day after `to`, the role is the owner's again.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from docgen.errors import SettingsError
from docgen.mail.addresses import mailbox
from docgen.settings import AbsenceSettings, Settings
from docgen.store import DealRow
from docgen.workspace import Role


@dataclass(frozen=True)
class Holder:
    """Who acts for a role on a day: the owner, or a deputy standing in for them."""

    address: str  # «Имя <addr>»: gets the letters, decides
    owner: str  # the role's own address
    absence: AbsenceSettings | None = None

    @property
    def person(self) -> str:
        return person_name(self.address)

    @property
    def for_person(self) -> str:
        """The absent owner's name when a deputy holds the role, else ''."""
        return person_name(self.owner) if self.absence else ""


def manager_address(row: DealRow) -> str:
    return mailbox(row.manager, row.manager_email)


def role_address(settings: Settings, role: str, *, division: str) -> str:
    """The address of whoever holds `role` for a deal of `division` (a route rule's role: [people].<role>)."""
    if role == Role.DIRECTOR:
        return settings.divisions[division].director
    address = getattr(settings.people, str(role), None)
    if not address:
        raise SettingsError(f"нет адреса [people].{role}: некому передать этап «{role}»")
    return str(address)


def role_addresses(settings: Settings, role: str) -> list[str]:
    """Every address holding `role`: each division's director for `director`."""
    if role == Role.DIRECTOR:
        return [division.director for division in settings.divisions.values()]
    address = getattr(settings.people, str(role), None)
    return [str(address)] if address else []


@functools.lru_cache(maxsize=1024)
def person_name(address: str) -> str:
    """The display name of «Имя <addr>», the address itself when there is no name."""
    name, addr = parseaddr(address)
    return name or addr or address


def holder(settings: Settings, role: str, *, division: str, day: dt.date) -> Holder:
    """Who holds `role` on `day`: its owner, or the deputy of an absence covering the owner or the role."""
    owner = role_address(settings, role, division=division)
    absence = absence_of(settings, owner, day=day, role=role)
    return Holder(absence.deputy if absence else owner, owner, absence)


def absence_of(settings: Settings, address: str, *, day: dt.date, role: str | None = None) -> AbsenceSettings | None:
    """The absence covering `address` (or `role`) on `day`, if any."""
    for absence in settings.absences:
        if absence.start <= day <= absence.end and (absence.who == role or
                                                     _email(address) in _emails_of(settings, absence)):
            return absence
    return None


def substitute(settings: Settings, to: Iterable[str], *, day: dt.date) -> tuple[list[str], list[str]]:
    """The recipients with each absent one replaced by their deputy, and the names stood in for."""
    out: list[str] = []
    absent: list[str] = []
    for address in to:
        absence = absence_of(settings, address, day=day)
        if absence is not None:
            absent.append(person_name(address))
            address = absence.deputy
        if _email(address) not in {_email(a) for a in out}:
            out.append(address)
    return out, absent


def _emails_of(settings: Settings, absence: AbsenceSettings) -> set[str]:
    if "@" in absence.who:
        return {_email(absence.who)}
    return {_email(a) for a in role_addresses(settings, absence.who)}


@functools.lru_cache(maxsize=1024)  # parsing an address is slow, and the same few come again and again
def _email(address: str) -> str:
    return parseaddr(address)[1].strip().lower()
