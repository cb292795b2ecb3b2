"""`docgen backup` while the real service runs, `docgen restore` into a fresh workspace, and the log
of the copy the service makes before a schema upgrade."""

from __future__ import annotations

import json
import sqlite3
import threading
import zipfile

import pytest
from service_kit import drop, make_workspace, one, service, wait_for

from docgen import migrations
from docgen.cli import main
from docgen.service import run_service, service_log
from docgen.store import DB_NAME


def docgen(capsys, *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    printed = capsys.readouterr()
    return int(done.value.code or 0), printed.out + printed.err


def deals(root, capsys) -> list[dict]:
    code, text = docgen(capsys, "--root", str(root), "status", "--json")
    assert code == 0, text
    return json.loads(text)


def test_a_backup_taken_while_the_service_runs_restores_into_a_fresh_workspace(tmp_path, capsys):
    ws = make_workspace(tmp_path / "ws", extra='[people]\nlawyer = "Юрист <lawyer@vector.example>"\n')
    target = tmp_path / "copies" / "docgen.zip"
    with service(ws):
        drop(ws, "first.yaml")
        wait_for(lambda: one(ws.review("lawyer"), "*.docx"), what="the first draft")
        code, text = docgen(capsys, "--root", str(ws.root), "backup", str(target))
        assert code == 0 and "сделок 1" in text, text
        drop(ws, "second.yaml", _example())  # the service goes on writing after the copy
        wait_for(lambda: len(list(ws.review("lawyer").glob("*.docx"))) == 2, what="the second draft")
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["docgen.sqlite3", "docgen.toml", "manifest.json"]
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["deals"] == 1 and manifest["schema"] == migrations.LATEST

    fresh = tmp_path / "fresh"
    assert docgen(capsys, "init", str(fresh))[0] == 0
    code, text = docgen(capsys, "--root", str(fresh), "restore", str(target))
    assert code == 0 and "база восстановлена: 1 сделок" in text and "восстановлен docgen.toml" in text, text
    [deal] = deals(fresh, capsys)
    assert deal["buyer"] == "ООО «Ромашка & Ко»" and deal["stage"] == "lawyer"
    assert "lawyer@vector.example" in (fresh / "docgen.toml").read_text(encoding="utf-8")


def test_restore_refuses_a_workspace_with_a_store_unless_forced(tmp_path, capsys):
    ws = make_workspace(tmp_path / "ws")
    drop(ws, "deal.yaml")
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True)
    target = tmp_path / "copy.zip"
    assert docgen(capsys, "--root", str(ws.root), "backup", str(target))[0] == 0
    code, text = docgen(capsys, "--root", str(ws.root), "backup", str(target))
    assert code == 2 and "уже есть; заменить — --force" in text
    code, text = docgen(capsys, "--root", str(ws.root), "restore", str(target))
    assert code == 1 and "уже есть база" in text and "--force" in text
    code, text = docgen(capsys, "--root", str(ws.root), "restore", str(target), "--force")
    assert code == 0 and "прежняя база сохранена" in text
    assert len(list((ws.state / "backups").glob("*до-восстановления.sqlite3"))) == 1
    assert len(deals(ws.root, capsys)) == 1


def test_a_damaged_backup_is_refused(tmp_path, capsys):
    ws = make_workspace(tmp_path / "ws")
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True)
    target = tmp_path / "copy.zip"
    assert docgen(capsys, "--root", str(ws.root), "backup", str(target))[0] == 0
    with zipfile.ZipFile(target) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["docgen.toml"] += b"\n# changed\n"
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    code, text = docgen(capsys, "--root", str(tmp_path / "other"), "restore", str(target))
    assert code == 1 and "docgen.toml повреждён" in text


def test_the_service_logs_the_copy_it_makes_before_a_schema_upgrade(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path / "ws")
    ws.state.mkdir(parents=True)
    conn = sqlite3.connect(ws.state / DB_NAME)  # a store of the schema before versions were kept
    for statement in migrations.MIGRATIONS[0].statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    extra = migrations.Migration(migrations.LATEST + 1, "проверка", ("CREATE TABLE probe (x INTEGER)",))
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, extra))
    monkeypatch.setattr(migrations, "LATEST", extra.version)
    run_service(ws, log=service_log(ws, stderr=False), stop=threading.Event(), once=True)
    log = (ws.state / "docgen.log").read_text(encoding="utf-8")
    [copy] = (ws.state / "backups").glob("*.sqlite3")
    done = ", ".join(f"{m.version} ({m.title})" for m in migrations.MIGRATIONS[1:])  # every one after the first
    assert done.endswith(f"{extra.version} (проверка)")
    assert f"WARNING схема базы обновлена: {done}; прежняя база сохранена: {copy}" in log


def _example() -> dict:
    import yaml
    from conftest import EXAMPLE

    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
