"""Loading a campaign folder: manifest rows become clips with absolute paths, identities.csv links tracks."""

from __future__ import annotations

import pytest

from cvpair.campaign import load_campaign
from cvpair.errors import InputError

HEADER = "clip,video,annotation,view,device,telemetry\n"


def test_rows_become_clips_with_absolute_paths_and_lines(tmp_path):
    (tmp_path / "manifest.csv").write_text(
        HEADER + "A0001,videos/A0001.mp4,annotations/A0001.xml,aerial,dji-1,telemetry/A0001.SRT\n"
        "\n"
        "G0001,videos/G0001.mp4,annotations/G0001/gt/gt.txt,ground,cam-2,\n"
    )

    campaign = load_campaign(tmp_path)

    aerial, ground = campaign.clips
    assert (aerial.clip_id, aerial.view, aerial.device, aerial.manifest_line) == (
        "A0001",
        "aerial",
        "dji-1",
        2,
    )
    assert (aerial.video, aerial.telemetry) == (
        tmp_path / "videos/A0001.mp4",
        tmp_path / "telemetry/A0001.SRT",
    )
    assert (ground.clip_id, ground.annotation, ground.telemetry) == (
        "G0001",
        tmp_path / "annotations/G0001/gt/gt.txt",
        None,
    )
    assert ground.manifest_line == 4
    assert campaign.problems == ()


def test_identities_csv_links_clip_tracks_to_identities(tmp_path):
    (tmp_path / "manifest.csv").write_text(HEADER + "G1,v.mp4,gt.txt,ground,c,\n")
    (tmp_path / "identities.csv").write_text("clip,track,identity\nG1,3,17\nG1,4,18\n")

    assert load_campaign(tmp_path).identity_links == {("G1", 3): 17, ("G1", 4): 18}


def test_bad_identities_rows_become_problems_with_their_line(tmp_path):
    (tmp_path / "manifest.csv").write_text(HEADER + "G1,v.mp4,gt.txt,ground,c,\n")
    (tmp_path / "identities.csv").write_text("clip,track,identity\nG1,3,17\nG1,x,18\nG1,3,19\n")

    campaign = load_campaign(tmp_path)

    assert [(p.path.name, p.line) for p in campaign.problems] == [
        ("identities.csv", 3),
        ("identities.csv", 4),
    ]
    assert campaign.identity_links == {("G1", 3): 17}


def test_rows_with_empty_required_cells_or_wrong_cell_count_become_problems(tmp_path):
    (tmp_path / "manifest.csv").write_text(
        HEADER + "A1,v.mp4,a.xml,aerial,d,\nA2,,a.xml,aerial,d,\nA3,v.mp4,a.xml\n"
    )

    campaign = load_campaign(tmp_path)

    assert [c.clip_id for c in campaign.clips] == ["A1"]
    assert [(p.line, p.message) for p in campaign.problems] == [
        (3, "empty video"),
        (4, "3 cells, the header has 6"),
    ]


def test_missing_columns_are_named(tmp_path):
    (tmp_path / "manifest.csv").write_text("clip,video,view\nA1,v.mp4,aerial\n")

    with pytest.raises(InputError, match="annotation, device") as caught:
        load_campaign(tmp_path)

    assert caught.value.problems[0].line == 1


def test_missing_manifest_is_named(tmp_path):
    with pytest.raises(InputError, match="manifest.csv"):
        load_campaign(tmp_path)
