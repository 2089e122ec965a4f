"""The deterministic synthetic capture-campaign generator behind `cvpair synth`."""

from cvpair.synth.campaign import CampaignMedia, generate_campaign
from cvpair.synth.profiles import PROFILES, Filming, SynthProfile, get_profile
from cvpair.synth.writers import SRT_LAYOUTS, VideoFormat

__all__ = [
    "PROFILES",
    "SRT_LAYOUTS",
    "CampaignMedia",
    "Filming",
    "SynthProfile",
    "VideoFormat",
    "generate_campaign",
    "get_profile",
]
