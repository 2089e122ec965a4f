"""`validate_release`: gather a release's facts once (read-only), run every registered check on them (pure
functions of the facts), report.

The image pass is the slow fact: its workers decode while the checks that need no image run, and its
results complete the facts for those that do. Only what the image workers import anyway is imported up
front: the checks and the facts' reader (pandas, `datasets`: about half a second) are imported once the
workers are starting, so the two overlap.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from cvpair.checks.registry import Check, Needs, all_checks
from cvpair.checks.report import CheckResult, Finding, Report, Status
from cvpair.checks.scan import DEFAULT_PHASH_SAMPLE, default_workers, scanning

if TYPE_CHECKING:
    from cvpair.checks.facts import ReleaseFacts


def _missing(check: Check, facts: ReleaseFacts) -> str | None:
    """Why `check` cannot run on `facts`, or None when it can."""
    if check.needs is Needs.FILES:
        return None
    if facts.rows is None:
        return facts.rows_problem
    if check.needs is Needs.IMAGES and facts.images is None:
        return facts.images_problem
    if check.needs is Needs.PROFILE and facts.profile is None:
        return facts.profile_problem
    return None


def run_check(check: Check, facts: ReleaseFacts) -> CheckResult:
    """The result of one check on `facts` (a pure function of them)."""
    reason = _missing(check, facts)
    if reason:
        return CheckResult(check.name, check.severity, Status.SKIP, note=f"skipped: {reason}")
    try:
        findings = tuple(check.run(facts))
    except Exception as error:  # noqa: BLE001 - one broken check must not hide the others' results
        findings = (Finding(f"the check itself failed on this release: {type(error).__name__}: {error}"),)
    status = Status.FAIL if findings else Status.PASS
    return CheckResult(check.name, check.severity, status, findings, note=check.doc.splitlines()[0])


def _sections(facts: ReleaseFacts) -> dict[str, dict]:
    """The report's summary per protocol and of image formats, from what could be read."""
    from cvpair.checks.sections import format_counts, protocol_sections

    sections = {}
    if facts.rows is not None:
        sections["protocols"] = protocol_sections(facts.rows)
    if facts.images is not None:
        sections["image_formats"] = format_counts(facts.images.format)
    return sections


def validate_release(
    path: Path | str = "cvpair-release",
    profile: str | None = None,
    workers: int | None = None,
    phash_sample: float = DEFAULT_PHASH_SAMPLE,
) -> Report:
    """Check every rule a release must follow, never writing to it.

    `profile` overrides provenance.json's; `workers` processes decode images (default: one per CPU);
    `phash_sample` is the share of rows whose perceptual hash is recomputed from the pixels (1.0: all).
    Raises `InputError` when `path` is not a release at all.
    """
    started = time.perf_counter()
    with scanning(workers or default_workers(), phash_sample) as image_pass:
        # the workers start up (a new interpreter each) while this process gathers the facts of the rows
        # (which finds the thumbnails to ask for); then they decode while it runs every check that needs
        # no image, and their results complete the facts for the checks that do
        from cvpair.checks.facts import gather_facts, with_images

        facts = gather_facts(Path(path), profile)
        if facts.rows is not None:
            image_pass.start(facts.files, facts.thumbnail_rows)
        checks = all_checks()
        results = {c.name: run_check(c, facts) for c in checks if c.needs is not Needs.IMAGES}
        if facts.rows is not None:
            facts = with_images(facts, image_pass.facts)
    results.update((c.name, run_check(c, facts)) for c in checks if c.needs is Needs.IMAGES)
    report = Report(str(path), facts.profile.name if facts.profile else None)
    report.results = [results[c.name] for c in checks]
    report.sections = _sections(facts)
    report.seconds = time.perf_counter() - started
    return report
