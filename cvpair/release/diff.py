"""What changed between two releases: identities and images added, removed, moved between splits or
relabelled, the counts per split and view, and the provenance (toolkit, parameters, campaign inputs).

Read from each release's splits.csv and provenance.json only, so comparing two 15k-image releases takes
a fraction of a second; `compare` is the pure part.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from cvpair.counts import count_by
from cvpair.errors import InputError, Problem
from cvpair.release import layout
from cvpair.release.layout import SplitRow
from cvpair.release.provenance import Provenance, read_provenance

TEXT_LIMIT = 20
"""Images listed per category in the text report; `--json` lists them all."""


@dataclass(frozen=True)
class Change:
    """One thing whose value differs between the releases: a split, an identity, a parameter, a count."""

    key: str
    old: object
    new: object


@dataclass(frozen=True)
class ProvenanceDiff:
    toolkit_version: Change | None
    parameters: tuple[Change, ...]
    inputs_added: tuple[str, ...]
    inputs_removed: tuple[str, ...]
    inputs_changed: tuple[str, ...]  # same path, different sha256


@dataclass(frozen=True)
class ReleaseDiff:
    old: str
    new: str
    identities_added: tuple[int, ...]
    identities_removed: tuple[int, ...]
    identities_moved: tuple[Change, ...]  # key: identity; old/new: its split(s)
    images_added: tuple[str, ...]
    images_removed: tuple[str, ...]
    images_moved: tuple[Change, ...]  # key: image_id; old/new: split
    images_relabelled: tuple[Change, ...]  # key: image_id; old/new: identity
    counts: tuple[Change, ...]  # key: '<split>/<view>/<images|identities>', only those that changed
    provenance: ProvenanceDiff

    @property
    def unchanged(self) -> bool:
        data = asdict(self)
        data.pop("old"), data.pop("new")
        provenance = data.pop("provenance")
        return not any(data.values()) and not any(provenance.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=str)

    def render(self, limit: int = TEXT_LIMIT) -> str:
        """A plain-text report; image lists are cut at `limit` entries."""
        lines = [f"old: {self.old}", f"new: {self.new}"]
        if self.unchanged:
            return "\n".join([*lines, "no change"])
        lines.append("counts (split/view/what: old -> new):")
        lines += [f"  {c.key}: {c.old} -> {c.new} ({c.new - c.old:+d})" for c in self.counts] or [
            "  unchanged"
        ]
        lines.append(
            f"identities: {len(self.identities_added)} added, {len(self.identities_removed)} removed, "
            f"{len(self.identities_moved)} moved"
        )
        lines += _listed("added", [str(i) for i in self.identities_added], None)
        lines += _listed("removed", [str(i) for i in self.identities_removed], None)
        lines += _listed("moved", [f"{c.key}: {c.old} -> {c.new}" for c in self.identities_moved], None)
        lines.append(
            f"images: {len(self.images_added)} added, {len(self.images_removed)} removed, "
            f"{len(self.images_moved)} moved, {len(self.images_relabelled)} relabelled"
        )
        lines += _listed("added", list(self.images_added), limit)
        lines += _listed("removed", list(self.images_removed), limit)
        lines += _listed("moved", [f"{c.key}: {c.old} -> {c.new}" for c in self.images_moved], limit)
        lines += _listed(
            "relabelled", [f"{c.key}: {c.old} -> {c.new}" for c in self.images_relabelled], limit
        )
        lines += _render_provenance(self.provenance)
        return "\n".join(lines)


def _listed(title: str, items: list[str], limit: int | None) -> list[str]:
    if not items:
        return []
    shown = items if limit is None else items[:limit]
    more = len(items) - len(shown)
    return (
        [f"  {title}:"]
        + [f"    {item}" for item in shown]
        + ([f"    ... {more} more (--json)"] if more else [])
    )


def _render_provenance(diff: ProvenanceDiff) -> list[str]:
    lines = ["provenance:"]
    if diff.toolkit_version:
        lines.append(f"  toolkit version: {diff.toolkit_version.old} -> {diff.toolkit_version.new}")
    lines += [f"  parameter {c.key}: {c.old} -> {c.new}" for c in diff.parameters]
    for title, paths in (("added", diff.inputs_added), ("removed", diff.inputs_removed)):
        lines += [f"  input {title}: {path}" for path in paths]
    lines += [f"  input changed (sha256): {path}" for path in diff.inputs_changed]
    return lines if len(lines) > 1 else lines + ["  unchanged"]


def read_split_manifest(release: Path) -> dict[str, SplitRow]:
    """image_id -> its row of the release's splits.csv."""
    path = Path(release) / layout.SPLIT_MANIFEST
    if not path.is_file():
        raise InputError(Problem(path, "missing: is this a release folder?"), headline="not a release")
    rows = {}
    with open(path, newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                rows[row["image_id"]] = SplitRow(
                    row["image_id"], int(row["identity"]), row["view"], row["split"]
                )
            except (KeyError, TypeError, ValueError) as error:
                raise InputError(Problem(path, f"unreadable row ({error})", line=line)) from None
    return rows


def _identity_splits(manifest: dict[str, SplitRow]) -> dict[int, str]:
    splits: dict[int, set[str]] = defaultdict(set)
    for row in manifest.values():
        splits[row.identity].add(row.split)
    return {identity: "+".join(sorted(names)) for identity, names in splits.items()}


def _counts(manifest: dict[str, SplitRow]) -> Counter[str]:
    """Images and identities per split and view, keyed '<split>/<view>/<images|identities>'."""
    rows = list(manifest.values())
    counts = count_by([r.identity for r in rows], [r.split for r in rows], [r.view for r in rows])
    return Counter(
        {
            f"{split}/{view}/{what}": value
            for (split, view), count in counts.items()
            for what, value in (("images", count.images), ("identities", count.identities))
        }
    )


def _diff_provenance(old: Provenance, new: Provenance) -> ProvenanceDiff:
    keys = sorted(set(old.parameters) | set(new.parameters))
    return ProvenanceDiff(
        toolkit_version=(
            Change("toolkit_version", old.toolkit_version, new.toolkit_version)
            if old.toolkit_version != new.toolkit_version
            else None
        ),
        parameters=tuple(
            Change(k, old.parameters.get(k), new.parameters.get(k))
            for k in keys
            if old.parameters.get(k) != new.parameters.get(k)
        ),
        inputs_added=tuple(sorted(set(new.inputs) - set(old.inputs))),
        inputs_removed=tuple(sorted(set(old.inputs) - set(new.inputs))),
        inputs_changed=tuple(
            sorted(p for p in set(old.inputs) & set(new.inputs) if old.inputs[p] != new.inputs[p])
        ),
    )


def compare(
    old: dict[str, SplitRow],
    new: dict[str, SplitRow],
    old_provenance: Provenance,
    new_provenance: Provenance,
    names: tuple[str, str] = ("old", "new"),
) -> ReleaseDiff:
    """The difference between two split manifests and provenance records (pure)."""
    old_ids, new_ids = _identity_splits(old), _identity_splits(new)
    common_images = sorted(set(old) & set(new))
    old_counts, new_counts = _counts(old), _counts(new)
    return ReleaseDiff(
        old=names[0],
        new=names[1],
        identities_added=tuple(sorted(set(new_ids) - set(old_ids))),
        identities_removed=tuple(sorted(set(old_ids) - set(new_ids))),
        identities_moved=tuple(
            Change(str(i), old_ids[i], new_ids[i])
            for i in sorted(set(old_ids) & set(new_ids))
            if old_ids[i] != new_ids[i]
        ),
        images_added=tuple(sorted(set(new) - set(old))),
        images_removed=tuple(sorted(set(old) - set(new))),
        images_moved=tuple(
            Change(image, old[image].split, new[image].split)
            for image in common_images
            if old[image].split != new[image].split
        ),
        images_relabelled=tuple(
            Change(image, old[image].identity, new[image].identity)
            for image in common_images
            if old[image].identity != new[image].identity
        ),
        counts=tuple(
            Change(key, old_counts[key], new_counts[key])
            for key in sorted(set(old_counts) | set(new_counts))
            if old_counts[key] != new_counts[key]
        ),
        provenance=_diff_provenance(old_provenance, new_provenance),
    )


def diff_releases(old: Path, new: Path) -> ReleaseDiff:
    """What changed from release `old` to release `new` (both folders)."""
    return compare(
        read_split_manifest(old),
        read_split_manifest(new),
        read_provenance(old),
        read_provenance(new),
        names=(str(old), str(new)),
    )
