"""A corrected form (`deal: N`) against the deal it names: the one check intake and `validate` share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from docgen.errors import Fault
from docgen.form.text import shown


@dataclass(frozen=True)
class KnownDeal:
    """What the store knows of the deal a corrected form names."""

    number: str
    returned: bool  # only a deal returned to its manager takes a corrected form
    where: str  # where the deal stands, in words: «у юриста», «подписана»
    buyer_inn: str
    cancelled: bool = False  # withdrawn by `docgen cancel`: it takes no version any more
    elsewhere: str = ""  # the other office ([store] office) whose deal it is: its forms go to that office's inbox


# The store's answer to «which deal is N?»; None when there is no such deal.
DealLookup = Callable[[str], KnownDeal | None]


def version_faults(number: str | None, *, buyer_inn: str | None, known: KnownDeal | None) -> list[Fault]:
    """Why a form naming deal `number` cannot become its next version; [] for a new deal or a fitting one."""
    if not number:
        return []
    if known is None:
        return [Fault("deal", f"сделки «{shown(number)}» нет — проверьте номер (он есть в письме о возврате проекта); "
                              "для новой сделки оставьте поле пустым")]
    if known.elsewhere:
        return [Fault("deal", f"сделка {number} ведётся в другом офисе («{shown(known.elsewhere)}»): исправленную "
                              "форму кладут в inbox/ того офиса, где сделка была заведена")]
    if known.cancelled:
        return [Fault("deal", f"сделка {number} отменена: исправленная форма к отменённой сделке не принимается; "
                              "чтобы заключить договор заново, уберите из формы строку «deal» и подайте её "
                              "как новую сделку")]
    if not known.returned:
        return [Fault("deal", f"сделка {number} сейчас {known.where}; исправленную форму подают только после "
                              "того, как проект вернули на доработку")]
    if buyer_inn is not None and buyer_inn != known.buyer_inn:
        return [Fault("buyer.inn", f"ИНН «{shown(buyer_inn)}» не совпадает с ИНН покупателя сделки {number} "
                                   f"({known.buyer_inn}): исправленная версия — для того же покупателя; "
                                   "сделку с другим покупателем подайте новой формой без номера")]
    return []
