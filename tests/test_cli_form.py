"""The form commands as a user types them: validate, schema, form, init — output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import EXAMPLE, REPO


def docgen(*args: str, root: Path | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    if root is not None:
        env["DOCGEN_ROOT"] = str(root)
    return subprocess.run([sys.executable, "-m", "docgen", *args], capture_output=True, text=True,
                          env=env, cwd=cwd or REPO, timeout=120)


def test_validate_accepts_the_example():
    run = docgen("validate", str(EXAMPLE), root=REPO)
    assert run.returncode == 0, run.stderr
    assert "итого 2 023 980,00" in run.stdout
    assert "два миллиона двадцать три тысячи девятьсот восемьдесят рублей 00 копеек" in run.stdout


def test_validate_reports_in_russian_with_exit_1(tmp_path, example_data):
    example_data["delivery"]["address"] = None
    form = tmp_path / "bad.yaml"
    form.write_text(yaml.safe_dump(example_data, allow_unicode=True), encoding="utf-8")
    run = docgen("validate", str(form), root=REPO)
    assert run.returncode == 1
    assert "4. Поставка, адрес поставки (delivery.address)" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_validate_json(tmp_path, example_data):
    example_data["buyer"]["inn"] = "1234567890"
    form = tmp_path / "bad.json"
    form.write_text(json.dumps(example_data, default=str, ensure_ascii=False), encoding="utf-8")
    run = docgen("validate", str(form), "--json", root=REPO)
    assert run.returncode == 1
    answer = json.loads(run.stdout)
    assert answer["ok"] is False
    assert answer["errors"][0]["field"] == "buyer.inn"
    assert "ИНН" in answer["errors"][0]["message"]
    ok = json.loads(docgen("validate", str(EXAMPLE), "--json", root=REPO).stdout)
    assert ok == {"ok": True, "errors": []}


def test_an_unreadable_form_is_exit_1_without_traceback(tmp_path):
    form = tmp_path / "evil.yaml"
    form.write_text("x: !!python/object/apply:os.system ['true']\n")
    run = docgen("validate", str(form), root=REPO)
    assert run.returncode == 1 and "недопустимая конструкция" in run.stdout
    assert "Traceback" not in run.stderr


def test_wrong_usage_is_exit_2(tmp_path):
    assert docgen("validate", root=REPO).returncode == 2
    assert docgen("validate", str(tmp_path / "missing.yaml"), root=REPO).returncode == 2
    assert docgen("no-such-command", root=REPO).returncode == 2


def test_schema_is_the_form_json_schema():
    run = docgen("schema", root=REPO)
    schema = json.loads(run.stdout)
    assert run.returncode == 0
    assert {"subject", "price", "buyer_liability", "delivery", "seller_liability"} <= set(schema["properties"])


def test_form_xlsx_from_yaml_validates_like_the_yaml(tmp_path):
    card = tmp_path / "card.xlsx"
    run = docgen("form", "--xlsx", str(card), "--from", str(EXAMPLE), root=REPO)
    assert run.returncode == 0, run.stderr
    assert "итого 2 023 980,00" in docgen("validate", str(card), root=REPO).stdout


def test_init_lays_out_a_workspace_and_never_overwrites(tmp_path):
    ws = tmp_path / "ws"
    run = docgen("init", str(ws), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    for folder in ("inbox/rejected", "outbox/lawyer/approved", "outbox/director/returned", "outbox/mail",
                   "templates/forms", "clients", "registers", "archive"):
        assert (ws / folder).is_dir(), folder
    assert (ws / "templates/forms/example.yaml").is_file()
    config = ws / "docgen.toml"
    assert "[smtp]" in config.read_text(encoding="utf-8")
    config.write_text("# mine\n", encoding="utf-8")
    again = docgen("init", str(ws), cwd=tmp_path)
    assert again.returncode == 0 and "ничего не изменено" in again.stdout
    assert config.read_text(encoding="utf-8") == "# mine\n"
    assert docgen("validate", str(ws / "templates/forms/example.yaml"), root=ws).returncode == 0


def test_a_broken_settings_file_is_a_russian_message(tmp_path):
    (tmp_path / "docgen.toml").write_text("[smtp]\nport = 'many'\n", encoding="utf-8")
    run = docgen("validate", str(EXAMPLE), root=tmp_path)
    assert run.returncode == 1
    assert "в docgen.toml или переменных окружения DOCGEN_* есть ошибки" in run.stderr and "smtp.port" in run.stderr
