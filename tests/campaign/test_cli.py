"""`cvpair check-campaign`: exit code 0 and a summary for a good campaign, 2 and every problem otherwise."""

from __future__ import annotations

from click.testing import CliRunner

from cvpair.cli import main
from tests.helpers.campaign_files import write_campaign


def test_good_campaign_exits_zero_with_a_summary(tmp_path):
    root = write_campaign(tmp_path, aerial=1, ground=1)

    result = CliRunner().invoke(main, ["check-campaign", str(root)])

    assert result.exit_code == 0, result.output
    assert "2 clip(s), 2 track(s), no problems" in result.output


def test_bad_campaign_exits_two_naming_file_and_line(tmp_path):
    root = write_campaign(tmp_path, aerial=1, ground=1)
    manifest = root / "manifest.csv"
    manifest.write_text(manifest.read_text().replace(",ground,", ",street,"))

    result = CliRunner().invoke(main, ["check-campaign", str(root)])

    assert result.exit_code == 2
    assert f"{manifest}:3: unknown view 'street'" in result.output
