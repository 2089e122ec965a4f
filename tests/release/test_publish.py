"""`cvpair publish`: refuses an invalid release, plans exactly the release's files, and fails cleanly when
the Hub cannot be reached (the tests run with HF_HUB_OFFLINE=1; no Hub is faked)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cvpair import protocol
from cvpair.cli import main
from cvpair.errors import InputError
from cvpair.release import layout
from cvpair.release.publish import release_files, upload_plan
from tests.helpers.release_factory import make_release


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return make_release(
        tmp_path_factory.mktemp("publish") / "release", [1, 2, 3], [4, 5, 6], images_per_view=2
    )


@pytest.fixture(params=["factory", "demo"])
def good_release(request, release) -> Path:
    """The small valid release, then the session's demo build."""
    return request.getfixturevalue("demo_release") if request.param == "demo" else release


def _files_on_disk(release: Path) -> list[tuple[str, int]]:
    found = []
    for folder, _, names in os.walk(release):
        for name in names:
            path = Path(folder) / name
            found.append((path.relative_to(release).as_posix(), path.stat().st_size))
    return sorted(found)


def test_dry_run_lists_every_release_file_with_its_size_and_the_destination(good_release):
    options = ["--repo-id", "org/cvpair", "--revision", "v1.0", "--private", "--dry-run", "--workers", "1"]
    result = CliRunner().invoke(main, ["publish", str(good_release), *options])
    assert result.exit_code == 0, result.output
    assert "repository: org/cvpair (dataset, private)" in result.output
    assert "branch: main; tag: v1.0" in result.output
    listed = [line.split() for line in result.output.splitlines() if line.startswith("  ")]
    assert sorted((path, int(size.replace(",", ""))) for size, path in listed) == _files_on_disk(good_release)
    paths = {path for _, path in listed}
    assert {"README.md", "croissant.json", "splits.csv", "provenance.json", "build_report.json"} <= paths
    assert {"card/altitude.png", "card/crop_size.png", "card/images_per_identity.png"} <= paths
    assert {p.split("-")[0] for p in paths if p.startswith("data/")} == {
        f"data/{fs}" for fs in protocol.FILE_GROUP_NAMES
    }


def test_plan_leaves_out_hidden_and_temporary_files(release, tmp_path):
    copy = shutil.copytree(release, tmp_path / "copy")
    (copy / ".cache").mkdir()
    (copy / ".cache" / "x").write_text("x")
    (copy / "README.md.tmp").write_text("x")
    plan = upload_plan(release_files(copy), "org/cvpair")
    assert [(f.path_in_repo, f.size) for f in plan.files] == _files_on_disk(release)
    assert plan.total_bytes == sum(size for _, size in _files_on_disk(release))
    assert (plan.tag, plan.private, plan.repo_type) == (None, False, "dataset")


@pytest.mark.parametrize("repo_id", ["cvpair", "org/", "org/name/extra", "org/na me"])
def test_plan_rejects_a_repo_id_that_is_not_org_slash_name(release, repo_id):
    with pytest.raises(InputError, match="ORG/NAME"):
        upload_plan(release_files(release), repo_id)


def test_publish_refuses_an_invalid_release(release, tmp_path):
    broken = shutil.copytree(release, tmp_path / "broken")
    manifest = broken / layout.SPLIT_MANIFEST
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text("".join(lines[:-1]))  # one image left out of splits.csv
    result = CliRunner().invoke(
        main, ["publish", str(broken), "--repo-id", "org/cvpair", "--workers", "1", "--dry-run"]
    )
    assert result.exit_code == 2
    assert "refusing to publish" in result.output and "validation failed" in result.output
    assert "repository:" not in result.output


def test_upload_without_the_hub_fails_with_a_message_and_never_shows_the_token(release, monkeypatch):
    token = "hf_publishTestSecretToken0000000000"
    monkeypatch.setenv("HF_TOKEN", token)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    result = CliRunner().invoke(
        main, ["publish", str(release), "--repo-id", "org/cvpair", "--workers", "1", "--revision", "v1.0"]
    )
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # handled: no traceback
    assert "could not publish to the Hugging Face Hub (org/cvpair)" in result.output
    assert token not in result.output
