"""Settings: docgen.toml, DOCGEN_* overrides, and the settings table of docs/admin.md held to the code."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal

import pytest

from conftest import REPO
from docgen.errors import SettingsError
from docgen.layout import commented_toml
from docgen.settings import load_settings, settings_markdown, settings_table


def test_readme_documents_every_setting_as_the_code_has_it():
    readme = (REPO / "docs" / "admin.md").read_text(encoding="utf-8")
    table = readme.split("<!-- settings-table:start -->\n", 1)[1].split("\n<!-- settings-table:end -->", 1)[0]
    assert table == settings_markdown(), "docs/admin.md settings table is stale: paste settings_markdown()"
    for key, _default, description in settings_table():
        assert description, f"setting {key} has no description"


def test_the_toml_then_the_environment(tmp_path):
    (tmp_path / "docgen.toml").write_text(
        '[smtp]\nhost = "mail.example.ru"\nport = 465\n\n'
        '[divisions.concrete]\ntitle = "Бетон"\ndirector = "Д <d@x.ru>"\nsupport = "С <s@x.ru>"\n\n'
        '[[vat.rates]]\nsince = 2019-01-01\nrate = "20"\n', encoding="utf-8")
    s = load_settings(tmp_path, {"DOCGEN_SMTP__PORT": "2525", "DOCGEN_SMTP_PASSWORD": "секрет"})
    assert (s.smtp.host, s.smtp.port, s.smtp.password) == ("mail.example.ru", 2525, "секрет")
    assert set(s.divisions) == {"concrete"}
    assert s.vat_rate_on(dt.date(2026, 6, 1)) == Decimal("20")
    assert "секрет" not in s.model_dump_json()


def test_unknown_keys_and_bad_values_are_settings_errors(tmp_path):
    (tmp_path / "docgen.toml").write_text("[smtp]\nprot = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="smtp.prot"):
        load_settings(tmp_path, {})
    (tmp_path / "docgen.toml").write_text("[smtp\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="не читается"):
        load_settings(tmp_path, {})


def test_the_commented_toml_is_valid_when_uncommented(tmp_path):
    text = commented_toml()
    uncommented = "\n".join(line[2:].split("    # ")[0] for line in text.splitlines()
                            if line.startswith("# [") or (line.startswith("# ") and " = " in line))
    (tmp_path / "docgen.toml").write_text(uncommented, encoding="utf-8")
    tomllib.loads(uncommented)
    assert load_settings(tmp_path, {}).smtp.port == 587
