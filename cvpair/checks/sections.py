"""The report's summary sections, beside the checks: what each protocol holds and the stored image formats.

A person reading `cvpair validate` sees the counts a ReID evaluation will use (per protocol: train, its
queries and gallery, how many queries have a true match) without opening the data.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from cvpair import protocol
from cvpair.counts import Count, count_by


def protocol_sections(rows: pd.DataFrame) -> dict[str, dict]:
    """Per protocol: train, query and gallery counts (with their view) and the queries with a true match."""
    groups = count_by(rows.identity, rows.file_split)

    def counts(group: protocol.FileGroup) -> dict[str, int]:
        identities, images = groups.get((group.name,), Count(0, 0))
        return {"images": images, "identities": identities}

    sections = {}
    for name, chosen in protocol.PROTOCOLS.items():
        query = rows[rows.file_split == chosen.query.name]
        gallery = rows[rows.file_split == chosen.gallery.name]
        sections[name] = {
            "title": chosen.title,
            protocol.TRAIN: counts(protocol.TRAIN_GROUP),
            protocol.QUERY: {"view": chosen.query_view, **counts(chosen.query)},
            protocol.GALLERY: {"view": chosen.gallery_view, **counts(chosen.gallery)},
            "queries_with_a_match": int(query.identity.isin(set(gallery.identity.tolist())).sum()),
        }
    return sections


def format_counts(formats: pd.Series) -> dict[str, int]:
    """Images per stored format (JPEG, PNG, ...; "unreadable" for those that do not open)."""
    return dict(sorted(Counter(f or "unreadable" for f in formats.tolist()).items()))


def render_sections(sections: dict[str, dict]) -> list[str]:
    """The sections as the lines under the check table."""
    lines = []
    for name, section in sections.get("protocols", {}).items():
        train, query, gallery = (section[role] for role in protocol.ROLES)
        lines.append(
            f"protocol {name} ({section['title']}): train {train['images']:,} images / "
            f"{train['identities']:,} identities; query {query['images']:,} {query['view']} / "
            f"{query['identities']:,} identities; gallery {gallery['images']:,} {gallery['view']} / "
            f"{gallery['identities']:,} identities; {section['queries_with_a_match']:,} of "
            f"{query['images']:,} queries have a true match"
        )
    if "image_formats" in sections:
        shown = ", ".join(f"{name} {count:,}" for name, count in sections["image_formats"].items())
        lines.append(f"image formats: {shown}")
    return lines
