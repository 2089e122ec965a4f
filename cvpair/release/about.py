"""Facts about the dataset that no build computes (name, licence, creators, citation), kept as data in
`cards/dataset.json` and shared by the dataset card and the Croissant metadata so the two never disagree."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class About:
    pretty_name: str
    description: str
    license: str  # Hugging Face licence id
    license_url: str
    version: str  # the dataset's version (semantic), not the toolkit's
    task_categories: tuple[str, ...]
    tags: tuple[str, ...]
    creators: tuple[str, ...]
    contact: str
    citation_key: str
    citation_title: str
    citation_author: str
    citation_year: str

    @property
    def bibtex(self) -> str:
        """The BibTeX entry users are asked to cite."""
        return (
            f"@misc{{{self.citation_key},\n"
            f"  title        = {{{self.citation_title}}},\n"
            f"  author       = {{{self.citation_author}}},\n"
            f"  year         = {{{self.citation_year}}},\n"
            f"  version      = {{{self.version}}},\n"
            f"  howpublished = {{Hugging Face dataset}},\n"
            f"  note         = {{Released under {self.license.upper()}}}\n"
            f"}}"
        )


@cache
def about() -> About:
    """The dataset facts from `cards/dataset.json`."""
    raw = json.loads((files("cvpair.cards") / "dataset.json").read_text())
    return About(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
