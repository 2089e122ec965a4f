"""Reading a capture campaign (manifest, annotations, telemetry, videos) and checking it before decoding."""

from cvpair.campaign.checks import CheckedCampaign, CheckedClip, check_campaign
from cvpair.campaign.corrections import read_corrections
from cvpair.campaign.formats import read_annotation
from cvpair.campaign.manifest import load_campaign
from cvpair.campaign.telemetry import read_telemetry
from cvpair.campaign.video import probe_video

__all__ = [
    "CheckedCampaign",
    "CheckedClip",
    "check_campaign",
    "load_campaign",
    "probe_video",
    "read_annotation",
    "read_corrections",
    "read_telemetry",
]
