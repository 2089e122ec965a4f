"""Protocol: the ReID evaluation is sound: identity-disjoint splits, every query answerable."""

from __future__ import annotations

from cvpair import protocol
from cvpair.checks.facts import ReleaseFacts
from cvpair.checks.registry import check
from cvpair.checks.report import Finding
from cvpair.protocol import VIEWS

TEST_GROUPS = tuple(g.name for g in protocol.FILE_GROUPS if g.split == protocol.TEST)


@check("protocol.disjoint_identities")
def train_test_disjoint(facts: ReleaseFacts) -> list[Finding]:
    """No identity has images in both train and test."""
    rows = facts.rows
    is_train = rows.file_split == protocol.TRAIN_GROUP.name
    shared = sorted(set(rows.identity[is_train].tolist()) & set(rows.identity[~is_train].tolist()))
    if not shared:
        return []
    examples = rows[rows.identity.isin(shared[:3]) & ~is_train].image_id
    return [
        Finding("identities in both train and test", tuple(str(i) for i in shared)),
        Finding("test images of the first of them", tuple(examples)),
    ]


@check("protocol.test_views")
def test_identities_have_both_views(facts: ReleaseFacts) -> list[Finding]:
    """Every test identity has at least one aerial and one ground image."""
    test = facts.rows[facts.rows.file_split != protocol.TRAIN_GROUP.name]
    findings = []
    for view in VIEWS:
        seen = set(test.identity[test["view"] == VIEWS.index(view)].tolist())
        lacking = sorted(set(test.identity.tolist()) - seen)
        if lacking:
            findings.append(
                Finding(f"test identities without a {view} image", tuple(str(i) for i in lacking))
            )
    return findings


def _unmatched_queries(facts: ReleaseFacts, name: str) -> list[Finding]:
    chosen = protocol.PROTOCOLS[name]
    rows = facts.rows
    query = rows[rows.file_split == chosen.query.name]
    gallery_identities = set(rows.identity[rows.file_split == chosen.gallery.name].tolist())
    lonely = query[~query.identity.isin(gallery_identities)]
    if not len(lonely):
        return []
    message = (
        f"{name} queries ({chosen.query.name}) whose identity is not in the gallery ({chosen.gallery.name})"
    )
    return [Finding(message, tuple(f"{r.image_id} (identity {r.identity})" for r in lonely.itertuples()))]


@check("protocol.a2g_matches")
def a2g_queries_have_matches(facts: ReleaseFacts) -> list[Finding]:
    """Every a2g query (aerial) has a true match in the ground gallery."""
    return _unmatched_queries(facts, "a2g")


@check("protocol.g2a_matches")
def g2a_queries_have_matches(facts: ReleaseFacts) -> list[Finding]:
    """Every g2a query (ground) has a true match in the aerial gallery."""
    return _unmatched_queries(facts, "g2a")


@check("protocol.one_query")
def one_query_per_test_identity(facts: ReleaseFacts) -> list[Finding]:
    """Each protocol has exactly one query per test identity: its query file group names every test
    identity once, and no other."""
    rows = facts.rows
    test_ids = set(rows.identity[rows.file_split.isin(TEST_GROUPS)].tolist())
    findings = []
    for name, chosen in protocol.PROTOCOLS.items():
        query = rows.identity[rows.file_split == chosen.query.name]
        counts = query.value_counts()
        for message, identities in (
            (f"{name}: test identities with more than one query", counts.index[counts > 1]),
            (f"{name}: test identities without a query", test_ids - set(query.tolist())),
        ):
            if len(identities):
                findings.append(Finding(message, tuple(str(i) for i in sorted(identities))))
    return findings


@check("protocol.query_not_in_other_gallery")
def queries_stay_out_of_the_other_gallery(facts: ReleaseFacts) -> list[Finding]:
    """No query of one protocol is in the other protocol's gallery (same image_id or same bytes)."""
    rows = facts.rows
    findings = []
    for name, chosen in protocol.PROTOCOLS.items():
        other = next(p for p in protocol.PROTOCOLS.values() if p is not chosen)
        query = rows[rows.file_split == chosen.query.name]
        gallery = rows[rows.file_split == other.gallery.name]
        shared = query.image_id.isin(set(gallery.image_id.tolist())) | query.sha256.isin(
            set(gallery.sha256.tolist())
        )
        if shared.any():
            message = f"{name} queries also in the {other.name} gallery ({other.gallery.name})"
            findings.append(Finding(message, tuple(query.image_id[shared])))
    return findings
