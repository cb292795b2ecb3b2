"""The board's pages: the board, my queue, the register, a deal, a comparison, downloads and decisions."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from docgen.errors import AccessDenied
from docgen.form.labels import CHOICES
from docgen.store import DealRow
from docgen.web import dealview
from docgen.web.auth import Visitor
from docgen.web.board import Filters, board_page, item, queue, register_page
from docgen.web.decide import comment_missing, role_to_decide
from docgen.web.people import decision_role, role_title
from docgen.web.respond import page, refusal, render
from docgen.workflow.register import REGISTER_NAME, register_rows, register_xlsx
from docgen.workflow.stages import Decision, decision_title

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def visible_deal(request: Request, found: Visitor, *, number: str) -> DealRow:
    """The deal, if this person may see it: DealNotFound (404) or AccessDenied (403) otherwise."""
    row = request.app.state.board.store().deal(number)
    if not found.person.sees(row):
        raise AccessDenied(f"сделка {number} вам не видна")
    return row


@page()
def board_view(request: Request, found: Visitor, data: dict[str, str]) -> Response:
    board = request.app.state.board
    filters = Filters.from_query(request.query_params)
    view = board_page(board.store(), board.lens(), person=found.person, filters=filters,
                      page_size=board.settings.web.page_size)
    return render(request, "board.html", context={"view": view, "nav": "board"}, visitor=found)


@page()
def queue_view(request: Request, found: Visitor, data: dict[str, str]) -> Response:
    board = request.app.state.board
    items = queue(board.store(), board.lens(), person=found.person)
    return render(request, "queue.html", context={"items": items, "nav": "queue"}, visitor=found)


def _register_deals(request: Request, found: Visitor) -> list[DealRow]:
    scope, params = found.person.scope()
    return request.app.state.board.store().deals(where=scope, params=params)


@page()
def register_view(request: Request, found: Visitor, data: dict[str, str]) -> Response:
    board = request.app.state.board
    filters = Filters(page=Filters.from_query(request.query_params).page)
    view = register_page(board.store(), person=found.person, filters=filters, page_size=board.settings.web.page_size)
    headings, rows = register_rows(board.store(), board.ws, deals=view.rows, roles=board.ws.roles,
                                   deadlines=board.deadlines, now=board.clock())
    return render(request, "register.html", context={"headings": headings, "rows": rows, "view": view,
                                                     "nav": "register"}, visitor=found)


@page()
def register_download(request: Request, found: Visitor, data: dict[str, str]) -> Response:
    board = request.app.state.board
    content = register_xlsx(board.store(), board.ws, deals=_register_deals(request, found), roles=board.ws.roles,
                            deadlines=board.deadlines, now=board.clock())
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(REGISTER_NAME)}"})


@page()
def deal_view(request: Request, found: Visitor, data: dict[str, str]) -> Response:
    return _deal_page(request, found, number=request.path_params["number"])


def _deal_page(request: Request, found: Visitor, *, number: str, error: str = "", comment: str = "",
               status: int = 200) -> Response:
    board = request.app.state.board
    store, ws = board.store(), board.ws
    row = visible_deal(request, found, number=number)
    files = dealview.deal_files(ws, row)
    lens = board.lens()
    role = decision_role(board.settings, found.person, row=row, day=lens.day)
    shown = item(store, lens, row=row)
    context = {
        "item": shown, "row": row, "deal": dealview.essentials(row), "route": dealview.route(shown),
        "versions": dealview.versions(ws, store, row=row, files=files), "files": files,
        "journal": dealview.journal(store, board.settings, number=row.number),
        "letters": dealview.letters(store, row.number),
        "role": role, "role_title": role_title(board.settings, role) if role else "",
        "approve_title": decision_title(role, Decision.APPROVED) if role else "",
        "decided": request.query_params.get("decided", ""), "pending": request.query_params.get("pending") == "1",
        "error": error, "comment": comment, "labels": CHOICES,
    }
    return render(request, "deal.html", context=context, visitor=found, status=status)


@page()
def compare_view(request: Request, found: Visitor, data: dict[str, str]) -> Response:
    board = request.app.state.board
    row = visible_deal(request, found, number=request.path_params["number"])
    recorded = {v["version"]: v for v in board.store().versions(row.number)}
    try:
        old, new = int(request.query_params.get("old", "")), int(request.query_params.get("new", ""))
    except ValueError:
        old, new = row.version - 1, row.version
    if old not in recorded or new not in recorded:
        return refusal(request, 404, message="Таких версий у сделки нет.", visitor=found)
    files = {v: board.ws.root / recorded[v]["file"] if recorded[v]["file"] else None for v in (old, new)}
    comparison, problem = dealview.compare_versions(files[old], files[new])
    return render(request, "compare.html", context={"row": row, "old": old, "new": new, "comparison": comparison,
                                                    "problem": problem, "versions": sorted(recorded)}, visitor=found)


@page()
def download(request: Request, found: Visitor, data: dict[str, str]) -> Response:
    board = request.app.state.board
    row = visible_deal(request, found, number=request.path_params["number"])
    chosen = dealview.file_by_id(board.ws, row, file_id=request.path_params["file_id"])
    if chosen is None:
        return refusal(request, 404, message="Такого файла в досье сделки нет.", visitor=found)
    return FileResponse(chosen.path, filename=chosen.name, content_disposition_type="attachment")


def _decide(request: Request, found: Visitor, *, data: dict[str, str], decision: Decision) -> Response:
    board = request.app.state.board
    number = request.path_params["number"]
    row = visible_deal(request, found, number=number)
    comment = data.get("comment", "")
    role_to_decide(board.settings, person=found.person, row=row, day=board.lens().day)
    if comment_missing(decision, comment):
        return _deal_page(request, found, number=number, status=400, error="Чтобы вернуть договор, напишите замечания: "
                                                                    "что исправить.")
    outcome = board.decider.decide(row, person=found.person, decision=decision, comment=comment, via="web",
                                   day=board.lens().day)
    pending = "&pending=1" if outcome.pending else ""
    return RedirectResponse(f"/deals/{quote(row.number)}?decided={decision}{pending}", status_code=303)


def decision_form(decision: Decision):
    """The endpoint of one decision's button on the deal page."""

    @page(form=True)
    def decide(request: Request, found: Visitor, data: dict[str, str]) -> Response:
        return _decide(request, found, data=data, decision=decision)

    return decide
