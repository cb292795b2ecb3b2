"""The Russian accounts `docgen export` and `docgen verify` print."""

from __future__ import annotations

from docgen.archive.export import ExportResult
from docgen.archive.verify import VerifyReport

LISTED = 50  # longer lists are cut: the full list is in the manifest or a repeat run


def human_size(size: int) -> str:
    """«1,2 МБ»: bytes in the units a person reads, with a decimal comma."""
    value = float(size)
    for unit in ("байт", "КБ", "МБ", "ГБ"):
        if value < 1024 or unit == "ГБ":
            text = f"{value:.0f}" if unit == "байт" else f"{value:.1f}".replace(".", ",")
            return f"{text} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def export_summary(result: ExportResult) -> str:
    m = result.manifest
    lines = [f"Архив {result.path}",
             f"Сделок: {result.deals}; файлов: {result.files}; размер архива {human_size(result.size)} "
             f"(файлы досье — {human_size(result.source_bytes)})"]
    signed = sum(1 for d in m.deals if d.signed is not None)
    lines.append(f"Подписанных сделок: {signed}; SHA-256 каждого файла — в manifest.json")
    if m.missing:
        lines.append(f"Нет в досье ({len(m.missing)}; перечислены в manifest.json, «missing»):")
        lines += _listed(m.missing)
    if m.problems:
        lines.append("Замечания:")
        lines += _listed(m.problems)
    return "\n".join(lines)


def verify_summary(report: VerifyReport) -> str:
    m = report.manifest
    signed = sum(1 for d in m.deals if d.signed is not None)
    if report.ok:
        lines = [f"Архив в порядке: сделок {len(m.deals)}, файлов {report.checked} ({human_size(report.size)}) "
                 f"совпадают с manifest.json; подписанных договоров, сверенных с журналом: {signed}",
                 f"Выгружен {m.exported_at}, docgen {m.docgen}"]
    else:
        lines = ["Архив НЕ совпадает с manifest.json:"]
        lines += _section("изменён", report.altered) + _section("отсутствует в архиве", report.missing)
        lines += _section("лишний файл, которого нет в manifest.json", report.extra)
        lines += _section("повреждён (не читается)", report.damaged)
        lines += [f"  {item}" for item in report.signed_mismatch]
    if m.missing:
        lines.append(f"При выгрузке в досье не было ({len(m.missing)}):")
        lines += _listed(m.missing)
    return "\n".join(lines)


def _section(title: str, items: list[str]) -> list[str]:
    return _listed([f"{title}: {item}" for item in items])


def _listed(items: list[str]) -> list[str]:
    more = [f"  … и ещё {len(items) - LISTED}"] if len(items) > LISTED else []
    return [f"  {item}" for item in items[:LISTED]] + more
