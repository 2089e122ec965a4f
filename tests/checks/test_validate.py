"""`cvpair validate`: the command, its report, its exit codes, and that it never touches the release."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cvpair.checks.facts import open_release
from cvpair.checks.registry import all_checks
from cvpair.checks.report import Finding
from cvpair.checks.runner import validate_release
from cvpair.checks.scan import plan, scan_task
from cvpair.cli import main
from tests.helpers.paths import ROOT
from tests.helpers.release_factory import make_release


@pytest.fixture(scope="module")
def good_release(tmp_path_factory) -> Path:
    return make_release(tmp_path_factory.mktemp("good") / "release", [1, 2, 3], [4, 5, 6], images_per_view=2)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_validation_leaves_every_byte_and_mtime_of_the_release_unchanged(good_release):
    before = _snapshot(good_release)
    dirs_before = sorted(str(p) for p in good_release.rglob("*"))
    report = validate_release(good_release, workers=2)
    assert report.valid
    assert _snapshot(good_release) == before
    assert sorted(str(p) for p in good_release.rglob("*")) == dirs_before


def test_cli_prints_a_table_and_exits_0_for_a_valid_release(good_release):
    result = CliRunner().invoke(main, ["validate", str(good_release), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split() == ["check", "severity", "status", "message"]
    assert "integrity.near_duplicates" in result.output and "VALID" in result.output


def test_cli_json_report_lists_every_registered_check(good_release):
    result = CliRunner().invoke(main, ["validate", str(good_release), "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["valid"] is True and report["profile"] == "demo"
    assert [c["name"] for c in report["checks"]] == [c.name for c in all_checks()]
    assert {c["status"] for c in report["checks"]} == {"pass"}


def test_cli_exits_1_when_an_error_check_fails(good_release):
    result = CliRunner().invoke(main, ["validate", str(good_release), "--profile", "cvpair-v1.0", "--json"])
    assert result.exit_code == 1
    failed = [c for c in json.loads(result.output)["checks"] if c["status"] == "fail"]
    assert [c["name"] for c in failed] == ["profile.counts", "profile.file_groups"]


def test_cli_exits_2_for_a_folder_that_is_not_a_release(tmp_path):
    (tmp_path / "README.md").write_text("# just a readme\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a release: missing data/*.parquet" in result.output


def test_cli_exits_2_for_an_unknown_profile(good_release):
    result = CliRunner().invoke(main, ["validate", str(good_release), "--profile", "no-such-profile"])
    assert result.exit_code == 2
    assert "unknown profile 'no-such-profile'" in result.output


def test_default_release_is_cvpair_release_in_the_current_folder(good_release, tmp_path):
    os.symlink(good_release, tmp_path / "cvpair-release")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["validate", "--workers", "1"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output


def test_a_long_list_of_rows_is_capped_at_ten_and_counted():
    finding = Finding("bad rows", tuple(f"r{i}" for i in range(25)))
    assert finding.render() == "bad rows (25): " + ", ".join(f"r{i}" for i in range(10)) + ", ... and 15 more"


def test_the_image_pass_keeps_thumbnails_of_exactly_the_rows_asked_for(good_release):
    files = open_release(good_release).files
    total = sum(f.num_rows for f in files)
    wanted = {0, total // 2, total - 1}
    tasks = plan(files, 2, wanted)
    ends = [t.first_row for t in tasks[1:]] + [total]
    assert all(min(t.thumbnails, default=t.first_row) >= t.first_row for t in tasks)
    assert all(max(t.thumbnails, default=-1) < end for t, end in zip(tasks, ends, strict=True))
    kept = set()
    for task in tasks:
        first_row, facts = scan_task(task, 0.0)
        kept |= {first_row + k for k, small in enumerate(facts["thumbnail"]) if small is not None}
        assert all(small is None or small.shape == (32, 32, 3) for small in facts["thumbnail"])
    assert kept == wanted


@pytest.mark.slow  # builds the demo campaign, once per session (shared with the other tests that need it)
def test_the_demo_release_built_from_footage_passes(demo_release):
    report = validate_release(demo_release, workers=2)
    assert report.valid, report.render_table()
    assert report.failed() == [], report.render_table()


def test_docs_describe_every_registered_check():
    docs = (ROOT / "README.md").read_text()
    assert [c.name for c in all_checks() if f"| `{c.name}` |" not in docs] == []


def test_a_look_alike_pair_without_thumbnails_fails_the_two_checks_that_read_it_and_no_other(good_release):
    from dataclasses import replace

    from cvpair.checks.facts import gather_facts, with_images
    from cvpair.checks.lookalikes import Candidate
    from cvpair.checks.runner import run_check
    from cvpair.checks.scan import scanning

    checks = {c.name: c for c in all_checks()}
    facts = gather_facts(good_release)
    facts = replace(facts, look_alike_candidates=(Candidate(0, len(facts.rows) - 1, 3),))
    with scanning(1) as image_pass:
        image_pass.start(facts.files)  # asked for no thumbnail
        facts = with_images(facts, image_pass.facts)
    assert facts.images is not None and facts.look_alike_pairs is None
    for name in ("integrity.near_duplicates", "integrity.look_alikes"):
        result = run_check(checks[name], facts)
        assert result.status == "fail" and "no colour thumbnail of" in result.message
    assert run_check(checks["integrity.sha256"], facts).status == "pass"
