"""Card: what README.md tells people (licence, citation, counts) is true of the data.

The card is read as rendered text, whoever rendered it: these checks hold for a hand-edited card too.
"""

from __future__ import annotations

import re

from cvpair.checks.facts import ReleaseFacts
from cvpair.checks.registry import Needs, check
from cvpair.checks.report import Finding

_SECTION = re.compile(r"^#+\s*(.+?)\s*$", re.MULTILINE)
_BIBTEX_BLOCK = re.compile(r"```(?:bibtex|bib)\s*\n(.*?)```", re.DOTALL | re.IGNORECASE)
_BIBTEX_ENTRY = re.compile(r"@\w+\s*\{\s*[^,\s]+\s*,")
_TOTAL = {"total", "all", "overall"}
_ANY_VIEW = {"", "-", "all", "both", "total"}


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def headed_parts(body: str) -> dict[str, str]:
    """Markdown section title (lower case) -> its text up to the next heading."""
    heads = list(_SECTION.finditer(body))
    return {
        h.group(1).lower(): body[h.end() : heads[i + 1].start() if i + 1 < len(heads) else len(body)]
        for i, h in enumerate(heads)
    }


@check("card.license", needs=Needs.FILES)
def license_declared(facts: ReleaseFacts) -> list[Finding]:
    """The YAML header declares a licence, and a License section of the text names the same one."""
    if facts.card_problem:
        return [Finding(facts.card_problem)]
    declared = (facts.card_yaml or {}).get("license")
    if not declared:
        return [Finding("README.md's YAML header declares no license")]
    wrong = [
        title
        for title, text in headed_parts(facts.card_body).items()
        if title.startswith(("licen", "terms")) and _squash(str(declared)) not in _squash(text)
    ]
    return (
        [Finding(f"sections that do not name the declared license {declared!r}", tuple(wrong))]
        if wrong
        else []
    )


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@check("card.citation", needs=Needs.FILES)
def citation_well_formed(facts: ReleaseFacts) -> list[Finding]:
    """Each BibTeX block in the card is a well-formed entry with author, title and year (if there is one)."""
    bad = []
    for number, block in enumerate(_BIBTEX_BLOCK.findall(facts.card_body), start=1):
        fields = {m.lower() for m in re.findall(r"(\w+)\s*=", block)}
        problems = [] if _BIBTEX_ENTRY.search(block) else ["no @type{key, header"]
        problems += [] if _balanced(block) else ["unbalanced braces"]
        problems += [f"no {f}" for f in ("author", "title", "year") if f not in fields]
        if problems:
            bad.append(f"block {number}: {', '.join(problems)}")
    return [Finding("malformed BibTeX in README.md", tuple(bad))] if bad else []


COUNTS_TABLE = frozenset({"split", "identities", "images"})
PROTOCOL_TABLE = frozenset({"file group", "view", "identities", "images"})


def counts_tables(body: str, columns: frozenset[str] = COUNTS_TABLE) -> list[list[dict[str, str]]]:
    """Markdown tables whose header has `columns` (by default split, identities and images), as rows of
    cells."""
    tables, lines = [], body.splitlines()
    for i, line in enumerate(lines[:-1]):
        header = [c.strip().lower() for c in line.strip().strip("|").split("|")]
        if not columns <= set(header) or not set(lines[i + 1]) <= set("|-: "):
            continue
        rows = []
        for row in lines[i + 2 :]:
            if not row.strip().startswith("|"):
                break
            cells = [c.strip().strip("*`").strip() for c in row.strip().strip("|").split("|")]
            rows.append(dict(zip(header, cells, strict=False)))
        tables.append(rows)
    return tables


def _key(split: str, view: str) -> tuple[str, ...]:
    split, view = split.lower(), view.lower()
    if split in _TOTAL:
        return ()
    return (split,) if view in _ANY_VIEW else (split, view)


_PROSE_TOTAL = re.compile(r"([\d,]+) images of ([\d,]+) identities")
_PROSE_SPLIT = re.compile(r"\b(train|test) / (aerial|ground): ([\d,]+) images, ([\d,]+) identities")
_SUMMARY_ROW = re.compile(r"^\|\s*(images|identities)\s*\|\s*([\d,]+)\s*\|\s*$", re.MULTILINE)


def written_counts(body: str) -> list[tuple[tuple[str, ...], str, str]]:
    """(split/view key, 'identities' | 'images', number as written) for every count the card states:
    the counts table, a two-column summary table, and the datasheet's sentences."""
    counts = []
    for row in (r for table in counts_tables(body) for r in table):
        key = _key(row.get("split", ""), row.get("view", ""))
        counts += [(key, column, row.get(column, "")) for column in ("identities", "images")]
    counts += [((), column, number) for column, number in _SUMMARY_ROW.findall(body)]
    for images, identities in _PROSE_TOTAL.findall(body):
        counts += [((), "images", images), ((), "identities", identities)]
    for split, view, images, identities in _PROSE_SPLIT.findall(body):
        counts += [((split, view), "images", images), ((split, view), "identities", identities)]
    return counts


def _protocol_counts(facts: ReleaseFacts) -> list[str]:
    """Disagreements between the card's protocol table (file group | view | images | identities) and the
    rows of each file group in each view."""
    wrong = []
    for row in (r for table in counts_tables(facts.card_body, PROTOCOL_TABLE) for r in table):
        key = (row.get("file group", "").strip("` "), row.get("view", ""))
        identities, images = facts.group_counts.get(key, (0, 0))
        for column, value in (("identities", identities), ("images", images)):
            if row.get(column, "").replace(",", "") != str(value):
                wrong.append(f"{'/'.join(key)} {column}: card {row.get(column)!r}, data {value}")
    return wrong


@check("card.counts")
def counts_match(facts: ReleaseFacts) -> list[Finding]:
    """Every identities / images count README.md states (its counts table above all, and its protocol table
    per file group and view) is the data's."""
    if not counts_tables(facts.card_body):
        return [Finding("README.md has no counts table (split | view | identities | images)")]
    wrong = []
    for key, column, written in written_counts(facts.card_body):
        identities, images = facts.counts.get(key, (0, 0))  # a split or view the data lacks has none
        actual = identities if column == "identities" else images
        if written.replace(",", "") != str(actual):
            wrong.append(f"{'/'.join(key) or 'total'} {column}: card {written!r}, data {actual}")
    wrong += _protocol_counts(facts)
    return (
        [Finding("counts in README.md that disagree with the data", tuple(dict.fromkeys(wrong)))]
        if wrong
        else []
    )
