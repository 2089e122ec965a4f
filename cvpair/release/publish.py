"""Publish a validated release folder to a Hugging Face dataset repository.

The repository becomes a mirror of the release: every file of the folder is uploaded in one commit and
remote files the release does not have are deleted (a stale `data/train-00001-of-00002.parquet` would
otherwise match the card's `data/train-*` pattern and silently join the split). The version is then tagged.
The token is whatever huggingface_hub finds (HF_TOKEN or `hf auth login`); cvpair never reads or prints it.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

from cvpair.errors import CvpairError, InputError, Problem

BRANCH = "main"
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
MIRROR_DELETE_PATTERNS = ["*"]  # huggingface_hub never deletes .gitattributes, and keeps what is uploaded


class PublishError(CvpairError):
    """The release could not be published (refused as invalid, or the Hub could not be reached)."""


@dataclass(frozen=True)
class PlannedFile:
    path_in_repo: str
    size: int  # bytes


@dataclass(frozen=True)
class UploadPlan:
    """Exactly what `publish` sends and where: the dry run prints it, the upload carries it out."""

    repo_id: str
    repo_type: str
    branch: str
    tag: str | None
    private: bool
    files: tuple[PlannedFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def render(self) -> str:
        """The human-readable plan: destination, then one line per file."""
        width = max(len(f"{f.size:,}") for f in self.files)
        lines = [
            f"repository: {self.repo_id} ({self.repo_type}, {'private' if self.private else 'public'})",
            f"branch: {self.branch}; tag: {self.tag or '(none)'}",
            "remote files not listed here are deleted (the repository mirrors the release)",
            f"{len(self.files)} files, {self.total_bytes:,} bytes:",
        ]
        lines += [f"  {f.size:>{width},}  {f.path_in_repo}" for f in self.files]
        return "\n".join(lines)


def release_files(release: Path) -> tuple[PlannedFile, ...]:
    """Every file of the release, by its path in the repository; hidden and temporary files are left out."""
    files = []
    for path in sorted(Path(release).rglob("*")):
        relative = path.relative_to(release)
        if (
            path.is_file()
            and not any(part.startswith(".") for part in relative.parts)
            and path.suffix != ".tmp"
        ):
            files.append(PlannedFile(relative.as_posix(), path.stat().st_size))
    return tuple(files)


def upload_plan(
    files: tuple[PlannedFile, ...], repo_id: str, *, revision: str | None = None, private: bool = False
) -> UploadPlan:
    """The plan for uploading `files` to the dataset repository `repo_id`, tagged `revision` if given."""
    if not REPO_ID.match(repo_id):
        raise InputError(Problem("--repo-id", f"{repo_id!r} is not ORG/NAME"), headline="bad repository id")
    if not files:
        raise InputError(Problem("release", "no file to upload"), headline="empty release")
    return UploadPlan(repo_id, "dataset", BRANCH, revision, private, files)


def _refuse_invalid(release: Path, workers: int | None) -> None:
    from cvpair.checks.runner import validate_release

    report = validate_release(release, workers=workers)
    if not report.valid:
        raise PublishError(
            f"refusing to publish {release}: validation failed ({', '.join(report.failed())}); "
            f"run `cvpair validate {release}` for details"
        )


def _network_errors() -> tuple[type[BaseException], ...]:
    """OSError (offline mode, no token, Hub HTTP errors) and the base error of whichever HTTP client this
    huggingface_hub version uses (httpx2, httpx), whose connection errors are not OSErrors."""
    errors: list[type[BaseException]] = [OSError]
    for module in ("httpx2", "httpx"):
        try:
            errors.append(importlib.import_module(module).HTTPError)
        except ImportError:
            continue
    return tuple(errors)


def _upload(release: Path, plan: UploadPlan) -> str:
    """Carry out `plan`; returns the URL of the commit. Network and Hub errors become a PublishError."""
    from huggingface_hub import HfApi

    api = HfApi()
    try:
        api.create_repo(plan.repo_id, repo_type=plan.repo_type, private=plan.private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=plan.repo_id,
            repo_type=plan.repo_type,
            folder_path=release,
            revision=plan.branch,
            allow_patterns=[f.path_in_repo for f in plan.files],
            delete_patterns=MIRROR_DELETE_PATTERNS,
            commit_message=f"Release {plan.tag or 'update'} ({len(plan.files)} files)",
        )
        if plan.tag:
            api.create_tag(
                plan.repo_id,
                tag=plan.tag,
                revision=commit.oid,
                repo_type=plan.repo_type,
                tag_message=plan.tag,
            )
    except _network_errors() as error:
        raise PublishError(f"could not publish to the Hugging Face Hub ({plan.repo_id}): {error}") from None
    return commit.commit_url


def publish(
    release: Path,
    repo_id: str,
    *,
    revision: str | None = None,
    private: bool = False,
    dry_run: bool = False,
    workers: int | None = None,
) -> tuple[UploadPlan, str | None]:
    """Validate `release` (`workers`: as for `cvpair validate`), then upload it (or, with `dry_run`, only
    plan it). Returns the plan and the commit URL (None for a dry run). An invalid release is refused in
    both modes."""
    release = Path(release)
    plan = upload_plan(release_files(release), repo_id, revision=revision, private=private)
    _refuse_invalid(release, workers)
    if dry_run:
        return plan, None
    return plan, _upload(release, plan)
