"""The named sizes of a synthetic campaign. Everything that makes `demo` differ from `cvpair-v1.0` is here."""

from __future__ import annotations

from dataclasses import dataclass

from cvpair.errors import InputError, Problem


@dataclass(frozen=True)
class SynthProfile:
    """How many identities, clips and frames a generated campaign has, and at what resolution.

    Each identity is filmed `appearances_per_view` times from the drone and as many times from the street;
    a clip holds up to `vehicles_per_clip` identities, so the clip count follows from these numbers.
    """

    name: str
    identities: int
    appearances_per_view: int
    vehicles_per_clip: int
    clip_seconds: float
    width: int = 1280
    height: int = 720
    frame_rates: tuple[int, ...] = (25, 30)
    sites: int = 4
    lookalike_fraction: float = 0.3
    drones: int = 3
    street_cameras: int = 4


PROFILES: dict[str, SynthProfile] = {
    profile.name: profile
    for profile in (
        # Small enough to generate in well under 30 s on two cores, large enough for a few hundred crops.
        SynthProfile(
            "demo",
            identities=24,
            appearances_per_view=2,
            vehicles_per_clip=8,
            clip_seconds=4.0,
            frame_rates=(25,),
        ),
        # 894 identities, each in two aerial and two ground clips of 7 s: ~29 candidate crops per identity
        # at the build's 0.5 s sampling (large enough, in frame, unoccluded), before its blur filter.
        SynthProfile(
            "cvpair-v1.0",
            identities=894,
            appearances_per_view=2,
            vehicles_per_clip=10,
            clip_seconds=7.0,
            sites=12,
            drones=6,
            street_cameras=16,
        ),
    )
}


def get_profile(name: str) -> SynthProfile:
    """The profile called `name`; an InputError lists the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise InputError(Problem("--profile", f"unknown synth profile {name!r}; known: {known}")) from None
