"""Layout: the files are where the card says, and every Parquet file has the declared schema."""

from __future__ import annotations

import fnmatch

from datasets import Features

from cvpair import protocol
from cvpair.checks.facts import ReleaseFacts
from cvpair.checks.registry import Needs, check
from cvpair.checks.report import Finding
from cvpair.protocol import VIEWS
from cvpair.release import layout
from cvpair.schema import arrow_schema, features


@check("layout.files", needs=Needs.FILES)
def required_files(facts: ReleaseFacts) -> list[Finding]:
    """Every file group has Parquet data, the manifest and provenance are there, no stray data files."""
    findings = []
    missing = [f"{layout.data_pattern(s)}" for s in protocol.FILE_GROUP_NAMES if not facts.files_of(s)]
    missing += [n for n in (layout.SPLIT_MANIFEST, layout.PROVENANCE) if not (facts.root / n).is_file()]
    if missing:
        findings.append(Finding("missing from the release", tuple(missing)))
    if (facts.root / layout.PROVENANCE).is_file() and facts.provenance is None:
        findings.append(Finding("not a JSON object", (layout.PROVENANCE,)))
    stray = tuple(f.name for f in facts.files if f.file_split is None)
    if stray:
        findings.append(Finding(f"Parquet files outside the file groups {protocol.FILE_GROUP_NAMES}", stray))
    return findings


@check("layout.parquet", needs=Needs.FILES)
def readable_parquet(facts: ReleaseFacts) -> list[Finding]:
    """Every Parquet file's footer reads (a truncated or foreign file does not)."""
    return [Finding(f"unreadable Parquet ({f.error})", (f.name,)) for f in facts.files if f.error]


@check("layout.schema", needs=Needs.FILES)
def declared_schema(facts: ReleaseFacts) -> list[Finding]:
    """Each file's columns, types and nullability equal `cvpair.schema.arrow_schema()` (metadata aside)."""
    declared = arrow_schema()
    findings = []
    for data_file in facts.files:
        if data_file.schema is None or data_file.schema.equals(declared, check_metadata=False):
            continue
        actual = data_file.schema
        missing = [n for n in declared.names if n not in actual.names]
        extra = [n for n in actual.names if n not in declared.names]
        differ = [
            f"{n}: {actual.field(n).type}{'' if actual.field(n).nullable else ' not null'} "
            f"(declared {declared.field(n).type}{'' if declared.field(n).nullable else ' not null'})"
            for n in declared.names
            if n in actual.names and not actual.field(n).equals(declared.field(n))
        ]
        for message, items in (
            ("missing columns", missing),
            ("undeclared columns", extra),
            ("wrong type", differ),
        ):
            if items:
                findings.append(Finding(f"{data_file.name}: {message}", tuple(items)))
        if not (missing or extra or differ):
            findings.append(Finding(f"{data_file.name}: columns out of order", tuple(actual.names)))
    return findings


def _configs(facts: ReleaseFacts) -> dict[str, dict[str, list[str]]]:
    """config name -> split -> data_files patterns, as the card's YAML declares them."""
    configs = {}
    for config in (facts.card_yaml or {}).get("configs") or []:
        splits: dict[str, list[str]] = {}
        for entry in config.get("data_files") or []:
            paths = entry.get("path")
            splits[entry.get("split", "train")] = [paths] if isinstance(paths, str) else list(paths or [])
        configs[config.get("config_name", "default")] = splits
    return configs


def _resolve(facts: ReleaseFacts, pattern: str) -> list[str]:
    names = [f.name for f in facts.files]
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)] or sorted(
        p.relative_to(facts.root).as_posix() for p in facts.root.glob(pattern) if p.is_file()
    )


@check("layout.configs", needs=Needs.FILES)
def configs_resolve(facts: ReleaseFacts) -> list[Finding]:
    """The card's YAML has the a2g and g2a configs, each split maps to its file group and resolves."""
    if facts.card_problem:
        return [Finding(facts.card_problem)]
    configs = _configs(facts)
    findings = []
    unresolved, wrong = [], []
    for name, splits in configs.items():
        for split, patterns in splits.items():
            unresolved += [f"{name}/{split}: {p}" for p in patterns if not _resolve(facts, p)]
    for name, chosen in protocol.PROTOCOLS.items():
        if name not in configs:
            findings.append(Finding("config missing from the card's YAML", (name,)))
            continue
        for split, file_split in chosen.splits.items():
            if configs[name].get(split) != [layout.data_pattern(file_split)]:
                wrong.append(
                    f"{name}/{split}: {configs[name].get(split)} (expected {layout.data_pattern(file_split)})"
                )
    if unresolved:
        findings.append(Finding("data_files that match no file", tuple(unresolved)))
    if wrong:
        findings.append(Finding("data_files that point at the wrong file group", tuple(wrong)))
    return findings


@check("layout.dataset_info", needs=Needs.FILES)
def dataset_info_matches(facts: ReleaseFacts) -> list[Finding]:
    """The card's dataset_info gives the declared features and each split's true number of rows."""
    if facts.card_problem:
        return [Finding(facts.card_problem)]
    infos = (facts.card_yaml or {}).get("dataset_info")
    infos = [infos] if isinstance(infos, dict) else list(infos or [])
    by_config = {info.get("config_name", "default"): info for info in infos}
    configs = _configs(facts)
    rows = {f.name: f.num_rows for f in facts.files}
    unreadable = {f.name for f in facts.files if f.error}
    findings = []
    missing, wrong_features, wrong_sizes = [], [], []
    for name in configs:
        info = by_config.get(name)
        if info is None:
            missing.append(name)
            continue
        try:
            same = Features._from_yaml_list(info.get("features") or []) == features()
        except (TypeError, ValueError, KeyError):
            same = False
        if not same:
            wrong_features.append(name)
        for split in info.get("splits") or []:
            patterns = configs[name].get(split.get("name"), [])
            names = [n for p in patterns for n in _resolve(facts, p)]
            if any(n in unreadable for n in names):
                continue  # layout.parquet reports these files; their row counts are unknown
            actual = sum(rows.get(n, 0) for n in names)
            if split.get("num_examples") != actual:
                wrong_sizes.append(
                    f"{name}/{split.get('name')}: card {split.get('num_examples')}, files {actual}"
                )
    if missing:
        findings.append(Finding("configs without dataset_info", tuple(missing)))
    if wrong_features:
        findings.append(Finding("features differ from the declared schema", tuple(wrong_features)))
    if wrong_sizes:
        findings.append(Finding("split sizes differ from the files", tuple(wrong_sizes)))
    return findings


@check("layout.file_groups")
def rows_in_their_file_group(facts: ReleaseFacts) -> list[Finding]:
    """View labels are aerial or ground, query and gallery files hold their one view each, every file is
    sorted by image_id."""
    rows = facts.rows
    findings = []
    unknown = rows[~rows["view"].isin(range(len(VIEWS)))]
    if len(unknown):
        findings.append(
            Finding(f"rows whose view label is not one of {list(VIEWS)}", tuple(unknown.image_id))
        )
    for group in protocol.FILE_GROUPS:
        if group.view is None:
            continue
        wrong = rows[(rows.file_split == group.name) & (rows["view"] != VIEWS.index(group.view))]
        if len(wrong):
            findings.append(Finding(f"{group.name} rows that are not {group.view}", tuple(wrong.image_id)))
    unsorted = [
        name for name, group in rows.groupby("file", sort=False) if not group.image_id.is_monotonic_increasing
    ]
    if unsorted:
        findings.append(Finding("files not sorted by image_id", tuple(unsorted)))
    return findings
