"""The README and docs/ describe the repository as it is: every mart they name is a model,
every public mart is documented and in the CHANGELOG, the README stays a front door (at most
300 lines), no pointer leaves the repository or names a tracker issue, and every relative
link (and its anchor) resolves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
DBT = ROOT / "dbt_project"
MARTS = DBT / "models" / "marts"
README_MAX_LINES = 300

FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
FORBIDDEN = [
    (re.compile(r"\bissues?\s*#?\d+", re.IGNORECASE), "an issue number"),
    (re.compile(r"\(issue", re.IGNORECASE), "an '(issue' reference"),
    (re.compile(r"\.\./shared/"), "a ../shared/ pointer outside the repository"),
]


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def mart_names() -> set[str]:
    """The public marts: every model under dbt_project/models/marts/."""
    return {p.stem for p in MARTS.rglob("*.sql")}


def mart_prefixes(marts: Iterable[str]) -> set[str]:
    """The naming prefixes the marts use (fct, dim, ml, mrr, ...), taken from their names."""
    return {name.split("_", 1)[0] for name in marts if "_" in name}


def _yaml_nodes(node: object) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _yaml_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _yaml_nodes(value)


def known_identifiers() -> set[str]:
    """Names that may share a mart's prefix without being a mart: every dbt model (staging
    and intermediate included), snapshot, source table and column the project declares."""
    names = {p.stem for p in (DBT / "models").rglob("*.sql")}
    names |= {p.stem for p in DBT.rglob("*.sql")}
    for path in DBT.rglob("*.yml"):
        for node in _yaml_nodes(yaml.safe_load(path.read_text()) or {}):
            name = node.get("name")
            if isinstance(name, str):
                names.add(name)
    return names


def mart_like_names(text: str, prefixes: Iterable[str]) -> set[str]:
    """Words of ``text`` shaped like a mart's name: a mart prefix, then ``_`` and more."""
    alternatives = "|".join(sorted(map(re.escape, prefixes), key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives})_[a-z0-9_]*[a-z0-9](?![\w-])")
    return set(pattern.findall(text))


def unknown_marts(text: str, marts: set[str], known: set[str]) -> set[str]:
    """Mart-shaped names in ``text`` that are neither a mart nor any other dbt name."""
    return {n for n in mart_like_names(text, mart_prefixes(marts)) if n not in marts | known}


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text())
    return {slug(h) for h in HEADING.findall(text)}


def broken_links(path: Path, text: str) -> list[str]:
    """Relative links of a Markdown file whose target (or anchor) does not exist."""
    prose = CODE_SPAN.sub("", FENCE.sub("", text))
    problems = []
    for target in LINK.findall(prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, mailto:, ...
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{target} (no such file)")
        elif anchor and dest.is_file() and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{target} (no heading #{anchor} in {dest.name})")
    return problems


# --- the helpers can fail -------------------------------------------------------------


def test_a_mart_shaped_name_that_is_no_model_is_flagged():
    marts = {"fct_invoices", "dim_accounts", "mrr_monthly", "at_risk_accounts"}
    known = marts | {"mrr_after_30d", "stg_stripe__invoices"}
    text = (
        "See `fct_invoices`, marts.dim_accounts and fct_churn_predictions; mrr_after_30d is"
        " a column, stg_stripe__invoices a staging model, at_risk_accounts a mart, and"
        " build_fct_marts is no mart name; dim_customers is not a model."
    )
    assert unknown_marts(text, marts, known) == {"fct_churn_predictions", "dim_customers"}


def test_prefixes_come_from_the_marts_names():
    assert mart_prefixes({"fct_a", "dim_b", "at_risk_accounts", "plain"}) == {"fct", "dim", "at"}


def test_a_broken_link_or_anchor_is_flagged(tmp_path):
    (tmp_path / "there.md").write_text("# A heading: with `code`\n")
    doc = tmp_path / "doc.md"
    text = (
        "[ok](there.md) [ok](there.md#a-heading-with-code) [web](https://example.com)"
        " [missing](gone.md) [bad anchor](there.md#nope) `[in code](nowhere.md)`\n"
        "```\n[in a fence](nowhere.md)\n```\n"
    )
    doc.write_text(text)
    assert broken_links(doc, text) == [
        "gone.md (no such file)",
        "there.md#nope (no heading #nope in there.md)",
    ]


# --- the documentation itself ---------------------------------------------------------


def test_every_mart_the_docs_name_is_a_model():
    marts, known = mart_names(), known_identifiers()
    problems = {
        rel(path): sorted(unknown_marts(path.read_text(), marts, known)) for path in doc_files()
    }
    problems = {path: names for path, names in problems.items() if names}
    assert not problems, f"names shaped like marts that are no model under {rel(MARTS)}: {problems}"


def test_every_public_mart_is_in_the_warehouse_page_and_the_changelog():
    for page in (DOCS / "warehouse.md", DOCS / "CHANGELOG.md"):
        text = page.read_text()
        missing = sorted(m for m in mart_names() if f"`{m}`" not in text)
        assert not missing, f"{rel(page)} does not name the marts {missing}"


def test_the_readme_is_at_most_300_lines():
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines (at most {README_MAX_LINES}): move reference to docs/"
    )


def test_no_issue_numbers_and_no_pointer_outside_the_repository():
    problems = [
        f"{rel(path)}:{text.count(chr(10), 0, m.start()) + 1}: {what}: {m.group(0)!r}"
        for path in doc_files()
        for text in [path.read_text()]
        for pattern, what in FORBIDDEN
        for m in pattern.finditer(text)
    ]
    assert not problems, "\n".join(problems)


def test_every_relative_link_resolves():
    problems = {
        rel(path): broken
        for path in doc_files()
        if (broken := broken_links(path, path.read_text()))
    }
    assert not problems, f"links that do not resolve: {problems}"
