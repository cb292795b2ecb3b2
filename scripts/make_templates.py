"""Build the shipped DOCX templates with python-docx, so they are reproducible and every tag sits in one run.

Run: .venv/bin/python scripts/make_templates.py [TEMPLATES_DIR]   (default: templates/)
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

# Times New Roman is what a Russian lawyer expects in Word; LibreOffice draws it with the
# metric-compatible Liberation Serif, so line breaks and page counts match.
FONT = "Times New Roman"
SIZE = Pt(11)
TEXT_WIDTH = Cm(17)
_TAG = re.compile(r"\{\{|\}\}|\{%|%\}")
_PERCENT = re.compile(r" %(?!\})")


class Builder:
    """A document being written paragraph by paragraph; `**bold**` marks bold runs."""

    def __init__(self, *, footer: str, landscape: bool = False) -> None:
        self.doc = Document()
        self._styles()
        self._page(landscape)
        self._footer(footer)

    def _styles(self) -> None:
        normal = self.doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = SIZE
        rpr = normal.element.get_or_add_rPr()
        fonts = rpr.get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "ru-RU")
        lang.set(qn("w:eastAsia"), "ru-RU")
        rpr.append(lang)
        fmt = normal.paragraph_format
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(3)
        fmt.line_spacing = 1.0
        self.doc.core_properties.author = "docgen"
        self.doc.core_properties.created = self.doc.core_properties.modified = dt.datetime(2026, 1, 1)
        self.doc.core_properties.title = ""
        self.doc.core_properties.comments = ""

    def _page(self, landscape: bool) -> None:
        section = self.doc.sections[0]
        section.page_height, section.page_width = Cm(29.7), Cm(21)
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_height, section.page_width = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
        section.top_margin, section.bottom_margin = Cm(2), Cm(2)
        section.footer_distance = Cm(1)

    def _footer(self, text: str) -> None:
        paragraph = self.doc.sections[0].footer.paragraphs[0]
        paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
        self._runs(paragraph, text + "\tСтр. ", size=Pt(8))
        _field(paragraph, "PAGE", Pt(8))
        self._runs(paragraph, " из ", size=Pt(8))
        _field(paragraph, "NUMPAGES", Pt(8))

    def _runs(self, paragraph, text: str, *, bold: bool = False, size=None) -> None:
        for i, piece in enumerate(text.split("**")):
            if not piece:
                continue
            _check_tags(piece)
            run = paragraph.add_run(_PERCENT.sub("\u00a0%", piece))
            run.bold = bold or i % 2 == 1
            if size:
                run.font.size = size

    def para(self, text: str, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True,
             bold: bool = False, size=None, after=None, keep: bool = False):
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Cm(1)
        if after is not None:
            paragraph.paragraph_format.space_after = after
        paragraph.paragraph_format.keep_with_next = keep
        self._runs(paragraph, text, bold=bold, size=size)
        return paragraph

    def title(self, text: str, *, size=Pt(13)) -> None:
        self.para(text, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, bold=True, size=size, after=Pt(2))

    def center(self, text: str, *, bold: bool = False) -> None:
        self.para(text, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, bold=bold)

    def heading(self, text: str) -> None:
        paragraph = self.para(text, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, bold=True, keep=True)
        paragraph.paragraph_format.space_before = Pt(8)

    def place_and_date(self, place: str, date: str) -> None:
        paragraph = self.para(f"{place}\t{date}", align=WD_ALIGN_PARAGRAPH.LEFT, indent=False, after=Pt(10))
        paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)

    def tag(self, text: str) -> None:
        """A paragraph holding only a docxtpl {%p %} tag: removed on rendering."""
        self.para(text, indent=False)

    def table(self, header: list[str], *, widths: list[float], rows: list[list[str]] = (),
              loop: tuple[str, list[str]] | None = None, totals: list[tuple[str, str]] = (),
              numeric: set[int] = frozenset(), font=Pt(10)):
        """A bordered table: header, fixed rows, a docxtpl {%tr for %} row, and totals rows."""
        table = self.doc.add_table(rows=0, cols=len(header))
        _grid(table, widths)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        self._row(table, header, widths, bold=True, font=font, center=True)
        for row in rows:
            self._row(table, row, widths, font=font, numeric=numeric)
        if loop:
            self._row(table, [f"{{%tr for {loop[0]} %}}"] + [""] * (len(header) - 1), widths, font=font)
            self._row(table, loop[1], widths, font=font, numeric=numeric)
            self._row(table, ["{%tr endfor %}"] + [""] * (len(header) - 1), widths, font=font)
        for label, value in totals:
            cells = self._row(table, [label] + [""] * (len(header) - 2) + [value], widths, font=font,
                              numeric={len(header) - 1}, bold=True)
            cells[0].merge(cells[len(header) - 2])
        _repeat_header(table.rows[0])
        self.doc.add_paragraph().paragraph_format.space_after = Pt(0)
        return table

    def _row(self, table, values, widths, *, bold=False, font=None, center=False, numeric=frozenset()):
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, values)):
            cell.width = Cm(widths[i])
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            if center:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif i in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            self._runs(paragraph, value, bold=bold, size=font)
        return cells

    def cell_lines(self, cell, lines: list[str], *, font=Pt(10)) -> None:
        """Fill a cell with paragraphs; `{%p … %}` lines become docxtpl paragraph tags."""
        first = True
        for line in lines:
            paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            paragraph.paragraph_format.space_after = Pt(0)
            self._runs(paragraph, line, size=font)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        self.doc.save(buffer)
        path.write_bytes(_fixed_timestamps(buffer.getvalue()))
        print(f"записан {path}")


def _fixed_timestamps(data: bytes) -> bytes:
    """The same ZIP with every entry dated 1980-01-01, so rebuilding unchanged templates changes no byte."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0)), src.read(item),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _check_tags(text: str) -> None:
    """Every tag must open and close inside one run, or docxtpl would have to mend it."""
    depth = 0
    for mark in _TAG.findall(text):
        depth += 1 if mark in ("{{", "{%") else -1
        if depth not in (0, 1):
            raise ValueError(f"тег разорван или вложен: {text!r}")
    if depth:
        raise ValueError(f"тег не закрыт внутри одного фрагмента: {text!r}")


def _field(paragraph, code: str, size) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {code} ")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size.pt * 2)))
    rpr.append(sz)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _grid(table, widths: list[float]) -> None:
    table.autofit = False
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(Cm(width).twips)))


def _cant_split(row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _borderless(table) -> None:
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tblpr.append(borders)


# --- pieces shared by the contracts -------------------------------------------------------------

def preamble(seller_role: str, buyer_role: str) -> str:
    seller = (
        f"**{{{{ seller.name }}}}**, {{{{ seller.named }}}} в дальнейшем «{seller_role}», в лице "
        "{{ seller.signatory.position_genitive }} {{ seller.signatory.name_genitive }}, "
        "{{ seller.signatory.acting }} на основании {{ seller.signatory.basis }}, с одной стороны, и "
    )
    buyer = (
        f"**{{{{ buyer.name }}}}**, {{{{ buyer.named }}}} в дальнейшем «{buyer_role}», "
        "{% if buyer.is_entrepreneur %}{{ buyer.signatory.acting_nominative }} на основании "
        "{{ buyer.signatory.basis }}{% else %}в лице {{ buyer.signatory.position_genitive }} "
        "{{ buyer.signatory.name_genitive }}, {{ buyer.signatory.acting }} на основании "
        "{{ buyer.signatory.basis }}{% endif %}, с другой стороны, далее совместно именуемые «Стороны», "
        "заключили настоящий договор (далее — «Договор») о нижеследующем:"
    )
    return seller + buyer


def spec_table(b: Builder, *, name_header: str) -> None:
    b.table(
        ["№", name_header, "Ед. изм.", "Кол-во", "Цена без НДС, руб.", "Сумма без НДС, руб."],
        widths=[0.9, 7.3, 1.6, 1.8, 2.7, 2.7],
        loop=("it in items", ["{{ it.number }}", "{{ it.name }}", "{{ it.unit }}", "{{ it.quantity | number }}",
                              "{{ it.unit_price | money }}", "{{ it.amount | money }}"]),
        totals=[
            ("Итого без НДС", "{{ totals.subtotal | money }}"),
            ("{% if totals.with_vat %}НДС {{ totals.vat_rate | percent }} %{% else %}НДС не облагается{% endif %}",
             "{% if totals.with_vat %}{{ totals.vat | money }}{% else %}—{% endif %}"),
            ("Всего{% if totals.with_vat %} с НДС{% endif %}", "{{ totals.total | money }}"),
        ],
        numeric={3, 4, 5},
    )


def price_clauses(b: Builder, n: int, *, thing: str, seller: str) -> None:
    b.para(f"{n}.1. Цена Договора составляет **{{{{ totals.total | money }}}} руб. ({{{{ totals.words }}}})**, "
           "{{ totals.vat_rate | vat(totals.vat) }}.")
    b.para(f"{n}.2. Порядок определения цены — {{{{ price.procedure_label }}}}. {{{{ price.procedure_clause }}}}.")
    b.para(f"{n}.3. Оплата производится в следующем порядке:", keep=True)
    b.tag("{%p for p in payments %}")
    b.para(f"{n}.3.{{{{ p.number }}}}. {{{{ p.kind_label | capfirst }}}} в размере {{{{ p.share | percent }}}} % "
           "цены Договора — {{ p.amount | money }} руб. ({{ p.amount | words }}) — {{ p.term }}.")
    b.tag("{%p endfor %}")
    b.para(f"{n}.4. Оплата производится в рублях Российской Федерации путём перечисления денежных средств на "
           f"расчётный счёт {seller}, указанный в разделе «Адреса, реквизиты и подписи Сторон». Датой оплаты "
           f"считается дата зачисления денежных средств на корреспондентский счёт банка {seller}.")
    b.para(f"{n}.5. В цену {thing} включены стоимость материалов, упаковки, маркировки"
           "{% if not delivery.is_pickup %} и доставки{% endif %}, а также все налоги и сборы.")


def buyer_liability(b: Builder, n: int, *, buyer: str, seller: str, seller_dative: str, work: str) -> None:
    b.para(f"{n}.1. За нарушение сроков оплаты, установленных Договором, {buyer} уплачивает {seller_dative} пеню в "
           "размере {{ buyer_liability.penalty_rate | percent }} % от просроченной суммы за каждый день "
           "просрочки, но не более {{ buyer_liability.penalty_cap | percent }} % от просроченной суммы.")
    b.para(f"{n}.2. При просрочке оплаты {seller} вправе приостановить {work} до поступления оплаты; "
           "срок исполнения обязательств продлевается на время такой просрочки.")
    b.para(f"{n}.3. Пеня начисляется по письменному требованию (претензии) и уплачивается в течение "
           "10 (десяти) рабочих дней с даты получения требования.")


def seller_liability(b: Builder, n: int, *, buyer: str, seller: str, what: str) -> None:
    b.para(f"{n}.1. За нарушение сроков {what}, установленных Договором, {seller} уплачивает {buyer} пеню в "
           "размере {{ seller_liability.penalty_rate | percent }} % от стоимости не исполненного в срок "
           "обязательства за каждый день просрочки, но не более {{ seller_liability.penalty_cap | percent }} % "
           "от стоимости не исполненного в срок обязательства.")
    b.para(f"{n}.2. Пеня не начисляется, если просрочка вызвана нарушением другой Стороной сроков оплаты "
           "или иных встречных обязательств по Договору.")
    b.para(f"{n}.3. Уплата неустойки не освобождает Стороны от исполнения обязательств по Договору.")


def standard_sections(b: Builder, n: int, *, seller: str) -> int:
    b.heading(f"{n}. ОБСТОЯТЕЛЬСТВА НЕПРЕОДОЛИМОЙ СИЛЫ")
    b.para(f"{n}.1. Стороны освобождаются от ответственности за неисполнение обязательств, если оно явилось "
           "следствием обстоятельств непреодолимой силы (статья 401 ГК РФ), возникших после заключения Договора.")
    b.para(f"{n}.2. Сторона, для которой исполнение стало невозможным, в течение 5 (пяти) рабочих дней письменно "
           "уведомляет другую Сторону о наступлении и прекращении таких обстоятельств и подтверждает их документом "
           "компетентного органа. Срок исполнения обязательств отодвигается на время действия этих обстоятельств.")
    n += 1
    b.heading(f"{n}. РАЗРЕШЕНИЕ СПОРОВ")
    b.para(f"{n}.1. Стороны соблюдают претензионный порядок урегулирования споров. Срок ответа на претензию — "
           "10 (десять) рабочих дней с даты её получения.")
    b.para(f"{n}.2. Споры, не урегулированные в претензионном порядке, передаются на рассмотрение в Арбитражный "
           f"суд по месту нахождения {seller}.")
    n += 1
    b.heading(f"{n}. ЗАКЛЮЧИТЕЛЬНЫЕ ПОЛОЖЕНИЯ")
    b.para(f"{n}.1. Договор вступает в силу с даты его подписания обеими Сторонами и действует до полного "
           "исполнения Сторонами своих обязательств.")
    b.para(f"{n}.2. Изменения и дополнения к Договору действительны, если они совершены в письменной форме и "
           "подписаны уполномоченными представителями Сторон.")
    b.para(f"{n}.3. Документы, подписанные и переданные по адресам электронной почты, указанным в разделе "
           "«Адреса, реквизиты и подписи Сторон», имеют силу до обмена оригиналами, который производится в "
           "течение 15 (пятнадцати) рабочих дней.")
    b.para(f"{n}.4. Договор составлен в двух экземплярах, имеющих равную юридическую силу, по одному для каждой "
           "из Сторон.")
    b.para(f"{n}.5. Приложения к Договору: {{% if attachments %}}{{{{ attachments | join('; ') }}}}"
           "{% else %}приложений нет; спецификация приведена в разделе 1 Договора{% endif %}.")
    return n + 1


def party_lines(who: str, role: str) -> list[str]:
    return [
        f"**{role}**",
        f"**{{{{ {who}.name }}}}**",
        f"Адрес: {{{{ {who}.address }}}}",
        f"ИНН {{{{ {who}.inn }}}}{{% if {who}.kpp %}}, КПП {{{{ {who}.kpp }}}}{{% endif %}}",
        f"{{%p if {who}.ogrn %}}",
        f"{{{{ {who}.ogrn_label }}}} {{{{ {who}.ogrn }}}}",
        "{%p endif %}",
        f"Банк: {{{{ {who}.bank.name }}}}",
        f"Р/с {{{{ {who}.bank.account }}}}",
        f"К/с {{{{ {who}.bank.corr_account }}}}",
        f"БИК {{{{ {who}.bank.bik }}}}",
        f"{{%p if {who}.email %}}",
        f"E-mail: {{{{ {who}.email }}}}",
        "{%p endif %}",
        f"{{%p if {who}.phone %}}",
        f"Тел.: {{{{ {who}.phone }}}}",
        "{%p endif %}",
    ]


def signature_lines(who: str) -> list[str]:
    return [
        f"{{{{ {who}.signatory.position }}}}",
        "",
        f"______________ / {{{{ {who}.signatory.name | initials }}}} /",
        "М.П.",
    ]


def two_columns(b: Builder, rows: list[tuple[list[str], list[str]]]) -> None:
    """A borderless two-column table whose rows never break across pages (requisites, signatures)."""
    table = b.doc.add_table(rows=len(rows), cols=2)
    _grid(table, [8.5, 8.5])
    _borderless(table)
    for row, (left, right) in zip(table.rows, rows):
        _cant_split(row)
        row.cells[0].width = row.cells[1].width = Cm(8.5)
        b.cell_lines(row.cells[0], left)
        b.cell_lines(row.cells[1], right)


def requisites(b: Builder, n: int, *, seller: str, buyer: str) -> None:
    b.heading(f"{n}. АДРЕСА, РЕКВИЗИТЫ И ПОДПИСИ СТОРОН")
    two_columns(b, [
        (party_lines("seller", seller.upper()), party_lines("buyer", buyer.upper())),
        ([""] + signature_lines("seller"), [""] + signature_lines("buyer")),
    ])


# --- the documents ---------------------------------------------------------------------------

def supply(path: Path) -> None:
    b = Builder(footer="Договор поставки № {{ number }} от {{ date | date_short }}    Поставщик ________    "
                       "Покупатель ________")
    b.title("ДОГОВОР ПОСТАВКИ № {{ number }}")
    b.place_and_date("{{ seller.city }}", "{{ date | date_ru }}")
    b.para(preamble("Поставщик", "Покупатель"))
    b.heading("1. ПРЕДМЕТ ДОГОВОРА")
    b.para("1.1. Поставщик обязуется изготовить и передать в собственность Покупателя, а Покупатель — принять и "
           "оплатить продукцию: {{ subject.summary }} (далее — «Товар») в наименовании, количестве и по ценам, "
           "указанным в Спецификации (таблица 1):", keep=True)
    b.para("Таблица 1. Спецификация", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, size=Pt(9), keep=True)
    spec_table(b, name_header="Наименование Товара")
    b.para("1.2. Качество Товара должно соответствовать проектной документации, согласованной Сторонами, и "
           "действующим ГОСТ. Товар передаётся с документом о качестве (паспортом или сертификатом качества).")
    b.para("1.3. Право собственности на Товар и риск его случайной гибели переходят к Покупателю в момент передачи "
           "Товара, что подтверждается подписанием товарной накладной или универсального передаточного документа.")
    b.heading("2. ЦЕНА И ПОРЯДОК РАСЧЁТОВ")
    price_clauses(b, 2, thing="Товара", seller="Поставщика")
    b.heading("3. ОТВЕТСТВЕННОСТЬ ПОКУПАТЕЛЯ")
    buyer_liability(b, 3, buyer="Покупатель", seller="Поставщик", seller_dative="Поставщику", work="изготовление и отгрузку Товара")
    b.heading("4. ПОСТАВКА")
    b.para("4.1. {% if delivery.is_pickup %}Товар передаётся Покупателю на условиях самовывоза со склада "
           "Поставщика{% if delivery.address %} по адресу: {{ delivery.address }}{% endif %}; погрузка "
           "осуществляется силами Поставщика{% else %}Поставщик доставляет Товар до адреса: "
           "{{ delivery.address }}; разгрузка осуществляется силами Покупателя{% endif %}.")
    b.para("4.2. Поставщик передаёт Товар {{ delivery.term }}. Допускается досрочная и частичная поставка.")
    b.para("4.3. Поставщик уведомляет Покупателя о готовности Товара к отгрузке не позднее чем за 2 (два) рабочих "
           "дня до даты отгрузки.")
    b.para("4.4. Приёмка Товара по количеству и внешнему виду производится при передаче. О скрытых недостатках "
           "Покупатель сообщает Поставщику в письменной форме в течение 30 (тридцати) дней с даты передачи Товара.")
    b.heading("5. ОТВЕТСТВЕННОСТЬ ПОСТАВЩИКА")
    seller_liability(b, 5, buyer="Покупателю", seller="Поставщик", what="поставки Товара")
    n = standard_sections(b, 6, seller="Поставщика")
    requisites(b, n, seller="Поставщик", buyer="Покупатель")
    b.save(path)


def works(path: Path) -> None:
    b = Builder(footer="Договор подряда № {{ number }} от {{ date | date_short }}    Подрядчик ________    "
                       "Заказчик ________")
    b.title("ДОГОВОР ПОДРЯДА № {{ number }}")
    b.center("на изготовление и монтаж металлоконструкций", bold=True)
    b.place_and_date("{{ seller.city }}", "{{ date | date_ru }}")
    b.para(preamble("Подрядчик", "Заказчик"))
    b.heading("1. ПРЕДМЕТ ДОГОВОРА")
    b.para("1.1. Подрядчик обязуется по заданию Заказчика выполнить работы по изготовлению и монтажу "
           "металлоконструкций: {{ subject.summary }} (далее — «Работы») и сдать их результат Заказчику, а "
           "Заказчик обязуется принять результат Работ и оплатить его.")
    b.para("1.2. Состав, объём и стоимость Работ определены Ведомостью объёмов и стоимости работ (таблица 1):",
           keep=True)
    b.para("Таблица 1. Ведомость объёмов и стоимости работ", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT,
           size=Pt(9), keep=True)
    spec_table(b, name_header="Наименование работ и конструкций")
    b.para("1.3. Работы выполняются из материалов Подрядчика, его силами и средствами, в соответствии с "
           "проектной документацией (КМ, КМД), согласованной Сторонами.")
    b.para("1.4. {% if delivery.is_pickup %}Изготовленные металлоконструкции передаются Заказчику на складе "
           "Подрядчика{% if delivery.address %} по адресу: {{ delivery.address }}{% endif %}{% else %}Место "
           "выполнения монтажных работ (объект): {{ delivery.address }}{% endif %}.")
    b.heading("2. ЦЕНА РАБОТ И ПОРЯДОК РАСЧЁТОВ")
    price_clauses(b, 2, thing="Работ", seller="Подрядчика")
    b.heading("3. ОТВЕТСТВЕННОСТЬ ЗАКАЗЧИКА")
    buyer_liability(b, 3, buyer="Заказчик", seller="Подрядчик", seller_dative="Подрядчику", work="выполнение Работ")
    b.heading("4. СРОКИ И ПОРЯДОК ВЫПОЛНЕНИЯ РАБОТ")
    b.para("4.1. Подрядчик выполняет Работы {{ delivery.term }}. Допускается досрочное выполнение Работ.")
    b.para("4.2. Заказчик обеспечивает строительную готовность объекта, доступ персонала и техники Подрядчика и "
           "площадку для складирования конструкций. На время задержки по вине Заказчика срок Работ продлевается.")
    b.para("4.3. Сдача-приёмка Работ оформляется актом о приёмке выполненных работ (КС-2) и справкой о стоимости "
           "выполненных работ и затрат (КС-3). Заказчик в течение 5 (пяти) рабочих дней с даты получения актов "
           "подписывает их или направляет мотивированный отказ.")
    b.heading("5. ОТВЕТСТВЕННОСТЬ ПОДРЯДЧИКА")
    seller_liability(b, 5, buyer="Заказчику", seller="Подрядчик", what="выполнения Работ")
    b.heading("6. ГАРАНТИИ")
    b.para("6.1. Гарантийный срок на результат Работ — 24 (двадцать четыре) месяца с даты подписания акта о "
           "приёмке выполненных работ. Недостатки, выявленные в гарантийный срок, Подрядчик устраняет за свой счёт.")
    n = standard_sections(b, 7, seller="Подрядчика")
    requisites(b, n, seller="Подрядчик", buyer="Заказчик")
    b.save(path)


def production_launch(path: Path) -> None:
    b = Builder(footer="Ввод в Производство — сделка № {{ number }}, версия договора {{ version }}")
    b.title("ВВОД В ПРОИЗВОДСТВО")
    b.center("по сделке № {{ number }}")
    b.para("Договор: **{{ title }} № {{ number }} от {{ date | date_ru }}** (версия {{ version }}). "
           "Направление: {{ division.title }}.", indent=False)
    b.heading("1. Клиент")
    b.table(["Сведения", "Значение"], widths=[5, 12], rows=[
        ["Наименование", "{{ buyer.name }}"],
        ["ИНН / КПП", "{{ buyer.inn }}{% if buyer.kpp %} / {{ buyer.kpp }}{% endif %}"],
        ["Адрес", "{{ buyer.address }}"],
        ["Подписант", "{{ buyer.signatory.position }} {{ buyer.signatory.name }}"],
        ["Контакты", "{{ buyer.phone or '—' }}; {{ buyer.email or '—' }}"],
    ])
    b.heading("2. Спецификация")
    b.para("{{ subject.summary }}", indent=False)
    spec_table(b, name_header="Наименование")
    b.heading("3. Поставка")
    b.para("Способ: {{ delivery.method_label }}{% if delivery.address %}, адрес: {{ delivery.address }}"
           "{% endif %}. Срок: **{{ delivery.term }}**.", indent=False)
    handover_payments(b)
    b.heading("5. Техническая документация")
    b.para("{% if attachments %}{{ attachments | join('; ') }} — передана в Технический отдел"
           "{% else %}нет{% endif %}.", indent=False)
    b.heading("6. Ответственные")
    b.table(["Роль", "ФИО", "E-mail"], widths=[6, 6, 5], rows=[
        ["Менеджер сделки", "{{ manager.name }}", "{{ manager.email }}"],
        ["Менеджер по сопровождению (клиент передаётся)", "{{ support.name }}", "{{ support.email }}"],
        ["Директор направления", "{{ division.director.name }}", "{{ division.director.email }}"],
    ])
    b.heading("7. Согласование договора")
    approvals_table(b)
    b.para("")
    b.para("Передал: менеджер ______________ / {{ manager.name | initials }} /", indent=False)
    b.para("Принял: Экономический отдел ______________ / ______________ /", indent=False)
    b.para("Клиента принял: ______________ / {{ support.name | initials }} /", indent=False)
    b.save(path)


def handover_payments(b: Builder) -> None:
    b.heading("4. Оплата")
    b.table(["№", "Платёж", "Доля, %", "Сумма, руб.", "Срок"], widths=[0.9, 4, 1.8, 3, 7.3], numeric={2, 3},
            loop=("p in payments", ["{{ p.number }}", "{{ p.kind_label | capfirst }}", "{{ p.share | percent }}",
                                    "{{ p.amount | money }}", "{{ p.term }}"]))
    b.tag("{%p if before_production %}")
    b.para("**До запуска в производство должно поступить {{ before_production_total | money }} руб. "
           "({{ before_production_words }}):**", indent=False)
    b.tag("{%p for p in before_production %}")
    b.para("— {{ p.kind_label }} {{ p.share | percent }} % — {{ p.amount | money }} руб., {{ p.term }};",
           indent=False)
    b.tag("{%p endfor %}")
    b.para("**Оплата до запуска в производство: {% if prepayment_date %}поступила полностью "
           "{{ prepayment_date | date_ru }} — производство может быть запущено{% else %}ещё не поступила; "
           "о её поступлении Экономический отдел и менеджер по сопровождению будут извещены письмом{% endif %}.**",
           indent=False)
    b.tag("{%p else %}")
    b.para("**Предоплата не предусмотрена: производство запускается после подписания договора.**", indent=False)
    b.tag("{%p endif %}")


def approvals_table(b: Builder) -> None:
    b.table(["№", "Роль", "ФИО", "Решение", "Дата и время", "Комментарий"],
            widths=[0.8, 3.6, 3.4, 2.6, 2.9, 3.7],
            loop=("a in approvals", ["{{ loop.index }}", "{{ a.role_label }}",
                                     "{{ a.person }}{% if a.on_behalf_of %} за {{ a.on_behalf_of }}{% endif %}",
                                     "{{ a.decision_label }}", "{{ a.at | datetime_ru }}",
                                     "{{ a.comment or '—' }}"]))


def approval_sheet(path: Path) -> None:
    b = Builder(footer="Лист согласования к договору № {{ number }}, версия {{ version }}")
    b.title("ЛИСТ СОГЛАСОВАНИЯ")
    b.center("к договору № {{ number }} от {{ date | date_ru }}")
    b.para("")
    b.table(["Сведения", "Значение"], widths=[5, 12], rows=[
        ["Договор", "{{ title }} № {{ number }}"],
        ["Контрагент", "{{ buyer.name }}, ИНН {{ buyer.inn }}"],
        ["Цена договора", "{{ totals.total | money }} руб., {{ totals.vat_rate | vat }}"],
        ["Направление", "{{ division.title }}"],
        ["Менеджер", "{{ manager.name }}"],
        ["Версия договора", "{{ version }}"],
        ["SHA-256 версии", "{{ sha256 }}"],
    ])
    approvals_table(b)
    b.para("Лист согласования относится к версии договора с указанной суммой SHA-256; любое изменение текста "
           "договора требует нового согласования.", indent=False, size=Pt(9))
    b.save(path)


def client_transfer(path: Path) -> None:
    b = Builder(footer="Соглашение о передаче клиента {{ client.name }} от {{ date | date_short }}")
    b.title("СОГЛАШЕНИЕ № {{ number }}")
    b.center("о передаче клиента", bold=True)
    b.place_and_date("{{ company.city }}", "{{ date | date_ru }}")
    b.para("**{{ employee.name }}**, {{ employee.position }}, далее — «Передающий», с одной стороны, и "
           "**{{ manager.name }}**, {{ manager.position }}, далее — «Принимающий», с другой стороны, работники "
           "{{ company.name }}, заключили настоящее соглашение о нижеследующем:")
    b.para("1. Передающий передаёт, а Принимающий принимает ведение клиента:", keep=True)
    b.table(["Сведения", "Значение"], widths=[5, 12], rows=[
        ["Клиент", "{{ client.name }}"],
        ["ИНН", "{{ client.inn }}"],
        ["Контактное лицо", "{{ client.contact or '—' }}"],
    ])
    b.para("2. Открытые сделки по клиенту, ведение которых переходит к Принимающему:", keep=True)
    b.tag("{%p if deals %}")
    b.table(["№", "Сделка", "Предмет", "Сумма, руб."], widths=[0.9, 3, 9.6, 3.5], numeric={3},
            loop=("d in deals", ["{{ loop.index }}", "{{ d.number }}", "{{ d.summary }}", "{{ d.amount | money }}"]))
    b.tag("{%p else %}")
    b.para("Открытых сделок нет.", indent=False)
    b.tag("{%p endif %}")
    b.para("3. С {{ transfer_date | date_ru }} Принимающий ведёт клиента: переговоры, переписку, согласование "
           "договоров и сопровождение сделок. Передающий в течение 3 (трёх) рабочих дней передаёт Принимающему "
           "досье клиента, переписку и документы по сделкам и сообщает клиенту о смене менеджера.")
    b.para("4. Основание передачи: {{ reason }}")
    b.para("5. Соглашение составлено в двух экземплярах, по одному для каждого из подписавших; копия передаётся "
           "руководителю направления.")
    two_columns(b, [(["**Передал**", "{{ employee.position }}", "",
                      "______________ / {{ employee.name | initials }} /"],
                     ["**Принял**", "{{ manager.position }}", "",
                      "______________ / {{ manager.name | initials }} /"])])
    b.tag("{%p if approver %}")
    b.para("Согласовано: {{ approver.position }} ______________ / {{ approver.name | initials }} /", indent=False)
    b.tag("{%p endif %}")
    b.save(path)


def main(argv: list[str]) -> None:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "templates"
    supply(root / "contracts" / "supply.docx")
    works(root / "contracts" / "works.docx")
    approval_sheet(root / "contracts" / "approval-sheet.docx")
    client_transfer(root / "contracts" / "client-transfer.docx")
    production_launch(root / "handover" / "production-launch.docx")


if __name__ == "__main__":
    main(sys.argv)
