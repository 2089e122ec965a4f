"""`build_release`: the one orchestrator of a build (campaign folder in, release folder out).

check inputs -> one shard per clip (in an executor; cached, so resumable) -> curate the crops' metadata
(split identities, a profile's table, file groups) -> stream the chosen rows from the shards into the release
writer, with the report.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa

from cvpair import protocol
from cvpair.campaign import CheckedCampaign, check_campaign, load_campaign, read_corrections
from cvpair.errors import CvpairError, InputError
from cvpair.pipeline.bundled import bundled_campaign, cache_root
from cvpair.pipeline.cache import ShardStore
from cvpair.pipeline.curate import META_COLUMNS, CurateParams, Curation, Targets, curate
from cvpair.pipeline.executor import Executor, LocalExecutor, map_ordered
from cvpair.pipeline.progress import Progress
from cvpair.pipeline.report import BuildReport, build_report
from cvpair.pipeline.shard import ShardParams, ShardResult, ShardTask, run_shard, shard_inputs
from cvpair.pipeline.stash import Stash
from cvpair.profiles import load_profile
from cvpair.release.lock import OutputLock
from cvpair.release.provenance import Provenance, campaign_provenance
from cvpair.release.writer import write_release

DEFAULT_OUT = Path("cvpair-release")
CORRECTIONS = "corrections.csv"
SIDE_FILES = ("manifest.csv", "identities.csv", CORRECTIONS)
"""Campaign-level inputs, recorded in the provenance when present."""


@dataclass(frozen=True)
class BuildSettings:
    """The knobs of a build besides its inputs (all recorded in provenance.json)."""

    seed: int = 0
    profile: str = "demo"
    shard: ShardParams = field(default_factory=ShardParams)
    curate: CurateParams = field(default_factory=CurateParams)


@dataclass(frozen=True)
class BuildResult:
    release: Path
    report: BuildReport
    work_dir: Path
    shards_built: int
    shards_reused: int
    seconds: float
    took_over: str | None = None  # the stale lock of a killed build this one took over, said once

    @property
    def load_line(self) -> str:
        """The one line of Python that loads the release."""
        return f'from datasets import load_dataset; ds = load_dataset("{self.release}")'


def work_dir_for(out: Path) -> Path:
    """Where shards are cached: $CVPAIR_CACHE_DIR/build if set, else `<out>.work` beside the release."""
    return cache_root() / "build" if os.environ.get("CVPAIR_CACHE_DIR") else out.with_name(out.name + ".work")


def build_release(
    campaign: Path | str | None = None,
    out: Path | str | None = None,
    *,
    workers: int = 1,
    seed: int = 0,
    profile: str = "demo",
    overwrite: bool = False,
    shard_params: ShardParams | None = None,
    curate_params: CurateParams | None = None,
    work_dir: Path | str | None = None,
    executor: Executor | None = None,
    progress: bool = False,
) -> BuildResult:
    """Build a release from `campaign` (default: the bundled demo) into `out` (default ./cvpair-release).

    Raises InputError (every problem, with file and line/frame) for bad input, and CvpairError for other
    things the user can fix (a non-empty output folder, a campaign too small for the profile, a shard that
    could not be written). Shards are cached in `work_dir`, so a rerun after any interruption resumes.
    """
    started = time.monotonic()
    settings = BuildSettings(seed, profile, shard_params or ShardParams(), curate_params or CurateParams())
    out = Path(out or DEFAULT_OUT).resolve()
    root = Path(campaign).resolve() if campaign is not None else None
    with OutputLock(out) as lock:
        _check_output(out, root, overwrite)
        local = LocalExecutor(workers) if executor is None else None
        store = ShardStore(Path(work_dir).resolve() if work_dir else work_dir_for(out))
        try:
            report, shards = _build(
                root or bundled_campaign(), out, settings, executor or local, store, progress
            )
        finally:
            if local is not None:
                local.close()
    reused = sum(s.reused for s in shards)
    seconds = time.monotonic() - started
    return BuildResult(out, report, store.root, len(shards) - reused, reused, seconds, lock.took_over)


def _build(
    root: Path,
    out: Path,
    settings: BuildSettings,
    executor: Executor,
    store: ShardStore,
    progress: bool,
) -> tuple[BuildReport, list[ShardResult]]:
    """The build proper, under the output's lock: the report and the shards of the written release."""
    chosen = load_profile(settings.profile)
    bars = Progress(progress)
    stash = Stash(store)
    try:
        bars.stage("check inputs")
        checking = stash.checking(partial(map_ordered, executor))
        checked = check_campaign(load_campaign(root), map_clips=checking)
        corrections = read_corrections(root / CORRECTIONS) if (root / CORRECTIONS).is_file() else []
        bars.stage("crops per video")
        shards = _run_shards(checked, stash, settings.shard, store, executor, bars)
        bars.stage("curate")
        meta = _shard_metadata(shards)
        curation = curate(meta, settings.curate, Targets.of(chosen), settings.seed, corrections)
        report = _report(checked, shards, meta, curation)
        bars.stage("write release")
        provenance = _provenance(root, checked, shards, settings)
        streams = {g: _stream(store, shards, curation.rows, g) for g in protocol.FILE_GROUP_NAMES}
        write_release(out, streams, provenance=provenance, report=report.to_dict(), overwrite=out.exists())
    finally:
        bars.close()
        stash.remove()
    return report, shards


def _check_output(out: Path, campaign: Path | None, overwrite: bool) -> None:
    """Refuse to write over anything but an empty folder (or, with overwrite, an old release)."""
    if out.exists() and not out.is_dir():
        raise CvpairError(f"output {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise CvpairError(f"output folder {out} is not empty: choose another -o, or pass --overwrite")
    if campaign is not None and (out == campaign or out in campaign.parents):
        raise CvpairError(f"output {out} would replace the campaign {campaign}: choose another -o")


def _run_shards(
    checked: CheckedCampaign,
    stash: Stash,
    params: ShardParams,
    store: ShardStore,
    executor: Executor,
    bars: Progress,
) -> list[ShardResult]:
    """Every clip's shard, built or found in the cache; all failures are reported together."""
    store.folder.mkdir(parents=True, exist_ok=True)
    store.remove_stale_temporaries()
    tasks = [
        ShardTask(clip, params, store.root, stash.paths[clip.clip.clip_id], tuple(META_COLUMNS))
        for clip in checked.clips
    ]
    results, problems, failures = [], [], []
    videos = bars.start_videos(len(tasks))
    for outcome in executor.run(run_shard, tasks):
        videos.update()
        clip = outcome.task.clip.clip.clip_id
        if isinstance(outcome.error, InputError):
            problems += outcome.error.problems
        elif outcome.error is not None:
            failures.append(f"  {clip}: {type(outcome.error).__name__}: {outcome.error}")
        else:
            results.append(outcome.result)
    if problems:
        raise InputError(problems, headline="some videos cannot be decoded")
    if failures:
        raise CvpairError(
            f"{len(failures)} of {len(tasks)} shard(s) failed (finished shards are kept; rerun to resume):\n"
            + "\n".join(sorted(failures))
        )
    return sorted(results, key=lambda r: r.summary.clip + "/")  # the order of their image_ids


def _shard_metadata(shards: list[ShardResult]) -> pd.DataFrame:
    """The curation columns of every crop (sent back with each shard), with the key of the shard."""
    tables = [
        s.columns.append_column("shard", pa.array([s.summary.key] * s.summary.rows, pa.string()))
        for s in shards
        if s.summary.rows
    ]
    if not tables:
        rejected = sum((Counter(s.summary.rejected) for s in shards), Counter())
        reasons = ", ".join(f"{reason} {count}" for reason, count in rejected.most_common()) or "no boxes"
        raise CvpairError(f"the campaign gives no crops; boxes rejected by reason: {reasons}")
    return pa.concat_tables(tables).to_pandas()


def _report(
    checked: CheckedCampaign,
    shards: list[ShardResult],
    meta: pd.DataFrame,
    curation: Curation,
) -> BuildReport:
    warnings = [str(p) for p in checked.warnings] + [w for s in shards for w in s.summary.warnings]
    return build_report(
        curation.rows,
        sum((Counter(s.summary.rejected) for s in shards), Counter()),
        curation.dropped,
        crops_before_curation=len(meta),
        clips=len(shards),
        warnings=warnings + curation.warnings,
    )


def _provenance(
    root: Path,
    checked: CheckedCampaign,
    shards: list[ShardResult],
    settings: BuildSettings,
) -> Provenance:
    """Toolkit, parameters and the checksum of every input (the shards already hashed the clips' files)."""
    known = {}
    by_clip = {s.summary.clip: s.summary.inputs for s in shards}
    for clip in checked.clips:
        for role, path in shard_inputs(clip).items():
            known[Path(path)] = by_clip[clip.clip.clip_id][role]
    files = [root / name for name in SIDE_FILES if (root / name).is_file()] + list(known)
    return campaign_provenance(root, files, asdict(settings), known_sha256=known)


def _stream(
    store: ShardStore, shards: list[ShardResult], rows: pd.DataFrame, group: str
) -> Iterator[pa.Table]:
    """The rows of one file group, shard by shard (so sorted by image_id), with curated identities."""
    chosen = rows[rows.file_group == group].sort_values("image_id")  # one sort, not one per shard
    by_shard = {
        key: (part.image_id.tolist(), part.identity.to_numpy())
        for key, part in chosen.groupby("shard", sort=False)
    }
    for shard in shards:
        if shard.summary.key not in by_shard:
            continue
        image_ids, identities = by_shard[shard.summary.key]
        table = store.rows(shard.summary.key, image_ids)
        if table["image_id"].to_pylist() != image_ids:
            raise RuntimeError(f"shard {shard.summary.key} changed while the release was written")
        # Identities come from curation, which applies reviewers' relabels.
        identity = pa.array(identities, pa.int32())
        yield table.set_column(table.schema.get_field_index("identity"), "identity", identity)
