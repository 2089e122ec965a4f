"""The deterministic synthetic capture-campaign generator behind `cvpair synth`."""

from cvpair.synth.campaign import generate_campaign
from cvpair.synth.profiles import PROFILES, SynthProfile, get_profile

__all__ = ["PROFILES", "SynthProfile", "generate_campaign", "get_profile"]
