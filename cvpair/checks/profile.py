"""Profile: the release has the sizes its profile promises, and the split manifests match the data."""

from __future__ import annotations

import csv

import pandas as pd

from cvpair import protocol
from cvpair.checks.facts import ReleaseFacts
from cvpair.checks.registry import Needs, check
from cvpair.checks.report import Finding, Severity
from cvpair.counts import Count
from cvpair.release import layout

MANIFEST_COLUMNS = list(layout.SPLIT_COLUMNS)


def _expected(facts: ReleaseFacts) -> dict[tuple[str, ...], dict[str, int | None]]:
    """The sizes the profile's table fixes: identities and images in total, identities per split, images
    per split and view (the counts per file group are `protocol.counts`)."""
    profile = facts.profile
    assert profile is not None
    expected: dict[tuple[str, ...], dict[str, int | None]] = {
        (): {"identities": profile.identities, "images": profile.images}
    }
    if profile.table is not None:
        for split in protocol.SPLITS:
            expected[(split,)] = {"identities": profile.table.identities[split], "images": None}
            for view in protocol.VIEWS:
                expected[(split, view)] = {
                    "identities": None,
                    "images": profile.table.view_images(split, view),
                }
    return expected


@check("profile.counts", needs=Needs.PROFILE)
def counts_match_profile(facts: ReleaseFacts) -> list[Finding]:
    """Identities and images in total, per split and per view equal the profile's table (where it has one)."""
    actual = facts.counts
    wrong = []
    for key, sizes in _expected(facts).items():
        have = dict(zip(("identities", "images"), actual.get(key, (0, 0)), strict=True))
        where = "/".join(key) or "total"
        wrong += [
            f"{where} {k}: {have[k]} (profile {v})"
            for k, v in sizes.items()
            if v is not None and v != have[k]
        ]
    return [Finding(f"sizes differ from profile {facts.profile.name!r}", tuple(wrong))] if wrong else []


@check("profile.test_fraction", severity=Severity.WARNING, needs=Needs.PROFILE)
def test_fraction(facts: ReleaseFacts) -> list[Finding]:
    """Without a table of counts, the share of identities in test is the profile's test_fraction, to the
    nearest identity."""
    if facts.profile.table is not None:
        return []
    total = facts.counts[()].identities
    test = facts.counts.get((protocol.TEST,), Count(0, 0)).identities
    wanted = facts.profile.test_fraction * total
    if abs(test - wanted) <= 1:
        return []
    return [Finding(f"{test} of {total} identities are in test; the profile asks for {wanted:.0f}")]


def _compare_manifest(facts: ReleaseFacts, path, name: str) -> list[Finding]:
    try:
        with path.open(newline="") as handle:
            lines = list(csv.reader(handle))
    except OSError as error:
        return [Finding(f"{name} cannot be read: {error}")]
    if not lines or lines[0] != MANIFEST_COLUMNS:
        return [Finding(f"{name} header is not {','.join(MANIFEST_COLUMNS)}")]
    written = pd.DataFrame(lines[1:], columns=MANIFEST_COLUMNS)
    implied = facts.manifest
    findings = []
    written_ids, implied_ids = set(written.image_id.tolist()), set(implied.image_id.tolist())  # tolist: 10x
    if extra := sorted(written_ids - implied_ids):
        findings.append(Finding(f"{name} lists images that are not in the data", tuple(extra)))
    if missing := sorted(implied_ids - written_ids):
        findings.append(Finding(f"images missing from {name}", tuple(missing)))
    merged = written.merge(implied, on="image_id", suffixes=("_manifest", "_data"))
    differ = []
    for column in ("identity", "view", "split"):
        bad = merged[merged[f"{column}_manifest"] != merged[f"{column}_data"]]
        differ += [
            f"{i} {column}: {m} (data {d})"
            for i, m, d in zip(bad.image_id, bad[f"{column}_manifest"], bad[f"{column}_data"], strict=True)
        ]
    if differ:
        findings.append(Finding(f"{name} rows that disagree with the data", tuple(differ)))
    if written.image_id.duplicated().any():
        findings.append(
            Finding(f"{name} lists images twice", tuple(written.image_id[written.image_id.duplicated()]))
        )
    if not findings and not written.image_id.is_monotonic_increasing:
        findings.append(Finding(f"{name} is not sorted by image_id"))
    return findings


@check("profile.manifest")
def release_manifest(facts: ReleaseFacts) -> list[Finding]:
    """splits.csv lists exactly the data's images, with their identity, view and split."""
    path = facts.root / layout.SPLIT_MANIFEST
    if not path.is_file():
        return [Finding("missing", (layout.SPLIT_MANIFEST,))]
    return _compare_manifest(facts, path, layout.SPLIT_MANIFEST)


@check("profile.file_groups", needs=Needs.PROFILE)
def file_groups_match_profile(facts: ReleaseFacts) -> list[Finding]:
    """Images of each file group and view equal the profile's table (train per view, and each protocol's
    query and gallery), where it has one."""
    table = facts.profile.table
    if table is None:
        return []
    actual = {key: count.images for key, count in facts.group_counts.items()}
    wrong = [
        f"{group} {view_name}: {actual.get((group, view_name), 0)} (profile {wanted})"
        for (group, view_name), wanted in table.images.items()
        if actual.get((group, view_name), 0) != wanted
    ]
    return [Finding(f"file groups differ from profile {facts.profile.name!r}", tuple(wrong))] if wrong else []
