"""The reviewed GX files in expectations/ parse, and a broken one is named before 02:00."""

from __future__ import annotations

import json
import shutil

import pytest

from folio.config import REPO_ROOT
from folio.quality.suites import lint, load_checkpoint, load_suite_dict, suite_path

EXPECTATIONS = REPO_ROOT / "expectations"


def test_every_suite_and_checkpoint_in_the_repo_is_valid():
    assert lint() == []
    # and they cover what the gates promise: every source and every mart
    raw, marts = load_checkpoint("raw"), load_checkpoint("marts")
    assert {v.table.split("/")[1] for v in raw.validations} == {"app_db", "stripe", "clean_events"}
    assert len(marts.validations) == 12
    severities = set()
    for cp in (raw, marts):
        for v in cp.validations:
            for exp in load_suite_dict(suite_path(cp.name, v.suite))["expectations"]:
                severities.add(exp["meta"]["severity"])
    assert severities == {"critical", "warning"}


@pytest.fixture()
def copy(tmp_path):
    root = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS, root)
    return root


def _edit(root, suite: str, change) -> None:
    path = root / "suites" / "marts" / f"{suite}.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_a_suite_that_does_not_parse_is_named(copy):
    path = copy / "suites" / "marts" / "marts.dim_accounts.json"
    path.write_text(path.read_text()[:-20])
    problems = lint(copy)
    assert len(problems) == 1
    assert "marts.dim_accounts.json does not parse" in problems[0]


def test_a_column_the_mart_does_not_have_is_named_with_the_expectation(copy):
    def rename(doc):
        doc["expectations"][1]["kwargs"]["column"] = "current_mrrr"

    _edit(copy, "marts.dim_accounts", rename)
    assert lint(copy) == [
        "suite marts.dim_accounts (suites/marts/marts.dim_accounts.json)"
        " #1 expect_column_values_to_be_between(current_mrrr):"
        " marts.dim_accounts has no column current_mrrr"
    ]


def test_an_unknown_expectation_type_and_a_missing_severity_are_named(copy):
    def break_it(doc):
        doc["expectations"][0]["type"] = "expect_table_to_be_lovely"
        del doc["expectations"][2]["meta"]["severity"]

    _edit(copy, "marts.mrr_monthly", break_it)
    problems = lint(copy)
    assert any(
        "suite marts.mrr_monthly" in p
        and "#2 expect_column_values_to_be_between(arr)" in p
        and "meta.severity must be one of" in p
        for p in problems
    ), problems
    assert any(
        "marts.mrr_monthly.json) #0 expect_table_to_be_lovely: GX does not accept it" in p
        and "not found" in p
        for p in problems
    ), problems


def test_unknown_parameters_and_stray_files_are_named(copy):
    def param(doc):
        doc["expectations"][3]["kwargs"]["max_value"] = {"$PARAMETER": "today"}

    _edit(copy, "marts.mrr_monthly", param)
    (copy / "suites" / "marts" / "marts.orphan.json").write_text(
        '{"name": "x", "expectations": []}'
    )
    problems = lint(copy)
    assert any("#3" in p and "unknown parameter today" in p for p in problems), problems
    assert "suite file suites/marts/marts.orphan.json is in no checkpoint" in problems
