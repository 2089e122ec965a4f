"""`validate_release`: open a release read-only, run the image pass once, then every registered check.

Only what the image workers import anyway is imported up front: the checks and the release reader (pandas,
`datasets`: about half a second) are imported once the workers are starting, so the two overlap.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from cvpair.checks.registry import Check, Needs, all_checks
from cvpair.checks.report import CheckResult, Finding, Report, Status
from cvpair.checks.scan import DEFAULT_PHASH_SAMPLE, ImagePass, default_workers, scanning
from cvpair.errors import CvpairError
from cvpair.profiles import load_profile

if TYPE_CHECKING:
    from cvpair.checks.release import Release


def _attach_profile(release: Release, name: str | None) -> None:
    """Resolve the profile: the one asked for (unknown: an error), else the one provenance.json names."""
    explicit = name is not None
    name = name or (release.provenance or {}).get("profile")
    if not name:
        release.profile_problem = "no profile: pass --profile or record 'profile' in provenance.json"
        return
    try:
        release.profile = load_profile(name)
    except CvpairError as error:
        if explicit:
            raise
        release.profile_problem = f"provenance.json names {error}"
        return


def _missing(check: Check, release: Release) -> str | None:
    """Why `check` cannot run on `release`, or None when it can."""
    if check.needs is Needs.FILES:
        return None
    if release.rows is None:
        return release.rows_problem
    if check.needs is Needs.IMAGES and release.images is None:
        return release.images_problem
    if check.needs is Needs.PROFILE and release.profile is None:
        return release.profile_problem
    return None


def run_check(check: Check, release: Release) -> CheckResult:
    reason = _missing(check, release)
    if reason:
        return CheckResult(check.name, check.severity, Status.SKIP, note=f"skipped: {reason}")
    try:
        findings = tuple(check.run(release))
    except Exception as error:  # noqa: BLE001 - one broken check must not hide the others' results
        findings = (Finding(f"the check itself failed on this release: {type(error).__name__}: {error}"),)
    status = Status.FAIL if findings else Status.PASS
    return CheckResult(check.name, check.severity, status, findings, note=check.doc.splitlines()[0])


def _open(path: Path, profile: str | None, image_pass: ImagePass) -> Release:
    """Open the release, read its rows and start the image pass on its files (when the rows read)."""
    from cvpair.checks.integrity import thumbnail_rows
    from cvpair.checks.release import load_rows, open_release

    release = open_release(path)
    _attach_profile(release, profile)
    load_rows(release)
    if release.rows is not None:
        image_pass.start(release.files, thumbnail_rows(release))
    return release


def _collect(image_pass: ImagePass, release: Release) -> None:
    """Wait for the image pass and keep its facts, or say in `images_problem` why there are none."""
    try:
        release.images = image_pass.facts()
    except (OSError, pa.ArrowException) as error:
        release.images_problem = f"the images could not be read: {error}"


def _sections(release: Release) -> dict[str, dict]:
    """The report's summary per protocol and of image formats, from what could be read."""
    from cvpair.checks.sections import format_counts, protocol_sections

    sections = {}
    if release.rows is not None:
        sections["protocols"] = protocol_sections(release.rows)
    if release.images is not None:
        sections["image_formats"] = format_counts(release.images.format)
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
        # the workers start up (a new interpreter each) while this process reads the rows and finds which
        # thumbnails to ask for; then they decode while it runs every check that needs no image
        release = _open(Path(path), profile, image_pass)
        checks = all_checks()
        results = {c.name: run_check(c, release) for c in checks if c.needs is not Needs.IMAGES}
        if release.rows is not None:
            _collect(image_pass, release)
    results.update((c.name, run_check(c, release)) for c in checks if c.needs is Needs.IMAGES)
    report = Report(str(path), release.profile.name if release.profile else None)
    report.results = [results[c.name] for c in checks]
    report.sections = _sections(release)
    report.seconds = time.perf_counter() - started
    return report
