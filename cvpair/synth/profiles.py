"""The named sizes of a synthetic campaign. Everything that makes `demo` differ from `cvpair-v1.0` is here."""

from __future__ import annotations

from dataclasses import dataclass

from cvpair.errors import InputError, Problem


@dataclass(frozen=True)
class Filming:
    """How one view films the identities.

    Each identity is filmed in `appearances` clips of this view: a number drawn per identity between the
    two bounds (inclusive), so identities differ in how many crops they offer, as in a real campaign.
    A clip holds up to `vehicles_per_clip` identities, so the clip count follows from these numbers.
    """

    appearances: tuple[int, int]
    vehicles_per_clip: int
    clip_seconds: float

    def __post_init__(self) -> None:
        low, high = self.appearances
        if not 1 <= low <= high:
            raise ValueError(f"appearances must be 1 <= low <= high, not {self.appearances}")


@dataclass(frozen=True)
class SynthProfile:
    """How many identities a generated campaign has, how each view films them, and at what resolution."""

    name: str
    identities: int
    aerial: Filming
    ground: Filming
    width: int = 1280
    height: int = 720
    frame_rates: tuple[int, ...] = (25, 30)
    sites: int = 4
    lookalike_fraction: float = 0.3
    drones: int = 3
    street_cameras: int = 4

    def filming(self, view: str) -> Filming:
        return {"aerial": self.aerial, "ground": self.ground}[view]

    @classmethod
    def alike(
        cls, name: str, identities: int, appearances: int, vehicles_per_clip: int, clip_seconds: float, **size
    ) -> SynthProfile:
        """A profile whose drone and street cameras film alike: every identity `appearances` times a view."""
        filming = Filming((appearances, appearances), vehicles_per_clip, clip_seconds)
        return cls(name, identities, filming, filming, **size)


PROFILES: dict[str, SynthProfile] = {
    profile.name: profile
    for profile in (
        # Small enough to generate in well under 30 s on two cores, large enough for a few hundred crops.
        SynthProfile(
            "demo",
            identities=24,
            aerial=Filming(appearances=(2, 2), vehicles_per_clip=8, clip_seconds=4.0),
            ground=Filming(appearances=(2, 2), vehicles_per_clip=8, clip_seconds=4.0),
            frame_rates=(25,),
        ),
        # The published CVPair v1.0 proportions (about 3.2 aerial crops per ground crop, a median of 17
        # crops per identity, 6-40): the drone films each identity in 2-4 longer clips, a street camera
        # sees it drive past once or twice in a short one. See the README's "Profiles" for the yield.
        SynthProfile(
            "cvpair-v1.0",
            identities=894,
            aerial=Filming(appearances=(2, 4), vehicles_per_clip=12, clip_seconds=7.0),
            ground=Filming(appearances=(1, 2), vehicles_per_clip=6, clip_seconds=2.5),
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
