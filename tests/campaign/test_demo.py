"""The synthetic demo campaign, as `cvpair synth` writes it, passes every input check."""

from __future__ import annotations

import pytest

from cvpair.campaign import check_campaign, load_campaign


@pytest.mark.slow  # the session's demo campaign is rendered once, for this and the build tests
def test_demo_campaign_passes_every_check(demo_campaign):
    campaign = load_campaign(demo_campaign)

    checked = check_campaign(campaign)

    assert len(checked.clips) == len(campaign.clips) > 0
    assert {clip.clip.view for clip in checked.clips} == {"aerial", "ground"}
    tracks = [track for clip in checked.clips for track in clip.annotation.tracks]
    assert tracks and all(track.identity is not None for track in tracks)
    aerial = [clip for clip in checked.clips if clip.clip.view == "aerial"]
    assert all(clip.telemetry and len(clip.telemetry.samples) >= clip.frame_count for clip in aerial)
