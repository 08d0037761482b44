"""The docs stay readable: whole tables, a short README and performance page, every setting listed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SEPARATOR = re.compile(r"^\|\s*:?-{3,}")


def broken_table_rows(text: str) -> list[str]:
    """Table rows cut off from their table: a `|` row that is neither a header (the next line is
    a `|---` separator) nor right below another `|` line. Markdown renders those as text."""
    broken = []
    lines = text.splitlines()
    in_code = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if in_code or not line.startswith("|"):
            continue
        header = i + 1 < len(lines) and SEPARATOR.match(lines[i + 1]) is not None
        if not header and not (i > 0 and lines[i - 1].startswith("|")):
            broken.append(f"line {i + 1}: {line[:60]}")
    return broken


def test_the_rule_finds_a_row_cut_off_by_a_blank_line() -> None:
    whole = "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n"
    assert broken_table_rows(whole) == []
    assert broken_table_rows(whole.replace("| 3", "\n| 3")) == ["line 5: | 3 | 4 |"]
    assert broken_table_rows("```\n| not a table\n```\n") == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_table_is_whole(page: Path) -> None:
    assert broken_table_rows(page.read_text(encoding="utf-8")) == []


def test_readme_and_performance_page_stay_short() -> None:
    assert (ROOT / "README.md").stat().st_size <= 10_000
    assert (ROOT / "docs" / "performance.md").stat().st_size <= 15_000


def test_configuration_page_lists_every_variable_the_code_reads() -> None:
    read = re.compile(
        r"(?:\b_int|\b_bool|\b_float|\benv\.get|os\.environ\.get|os\.getenv)"
        r"\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']"
        r"|envvar=[\"']([A-Z][A-Z0-9_]+)[\"']"
    )
    sources = [ROOT / "config.py", ROOT / "wsgi.py", ROOT / "gunicorn.conf.py"]
    sources += sorted((ROOT / "livechat").rglob("*.py"))
    in_code = {a or b for path in sources for a, b in read.findall(path.read_text("utf-8"))}
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    first_cells = re.findall(r"^\| ([^|]*`[A-Z][^|]*) \|", page, flags=re.M)
    documented = {name for cell in first_cells for name in re.findall(r"`([A-Z0-9_]+)`", cell)}
    assert in_code - documented == set(), "read by the code, missing from configuration.md"
    assert documented - in_code == set(), "in configuration.md, read by nothing"
