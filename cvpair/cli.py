"""The `cvpair` command line: thin click commands over library functions.

Each command imports its library module inside its body so that `cvpair --help` stays fast. Errors a
user can cause (`CvpairError`) become a message on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

import click

from cvpair.errors import CvpairError
from cvpair.protocol import DEFAULT_PROTOCOL, PROTOCOLS


def run() -> None:
    """The `cvpair` console script: `main`, then an exit without the interpreter's teardown.

    Tearing down the modules of `datasets`, pandas or torch object by object takes 0.3-0.5 s after the
    work is done, only to free memory the system reclaims anyway. Every exit handler still runs (FiftyOne's
    database, multiprocessing's, logging's: registered after this one, they run before it), and the
    standard streams are flushed.
    """
    status = 1  # an exception click does not turn into an exit status: Python prints it, then exits 1

    def exit_now() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)

    atexit.register(exit_now)
    try:
        main.main(prog_name="cvpair")
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else int(done.code is not None)
        raise


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # noqa: D102 - click API
        try:
            return super().invoke(ctx)
        except CvpairError as error:
            click.secho(f"error: {error}", fg="red", err=True)
            sys.exit(error.exit_code)


@click.group(cls=_Group)
@click.version_option(package_name="cvpair")
def main() -> None:
    """Curate, validate, release and benchmark CVPair, a cross-view (drone / ground) vehicle ReID dataset."""


_existing_dir = click.Path(exists=True, file_okay=False, path_type=Path)


@main.command()
@click.argument("campaign", type=_existing_dir, required=False)
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("cvpair-release"),
              show_default=True, help="Release folder to create.")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), help="Shard processes [default: one per CPU].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of identity choice and split.")
@click.option("--profile", default="demo", show_default=True, help="Release profile: sizes, test share.")
@click.option("--max-per-view", type=click.IntRange(min=1), help="Keep at most N crops per identity, view.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Shard cache [default: $CVPAIR_CACHE_DIR/build, else OUT.work].")  # fmt: skip
@click.option("--overwrite", is_flag=True, help="Replace OUT if it is not empty.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where shards run: local processes, or Ray (pip install \"cvpair[ray]\").")  # fmt: skip
@click.option("--address", help="Ray cluster: auto or ray://HOST:PORT [default: start a local Ray].")
@click.option("--register/--no-register", default=True, show_default=True,
              help='Make load_dataset("cvpair") find this release offline (datasets cache).')  # fmt: skip
def build(campaign: Path | None, out: Path, workers: int | None, seed: int, profile: str,
          max_per_view: int | None, work_dir: Path | None, overwrite: bool, engine: str,
          address: str | None, register: bool) -> None:  # fmt: skip
    """Build a release from CAMPAIGN (default: the bundled synthetic sample, generated on first use)."""
    import os

    from cvpair.pipeline.build import build_release
    from cvpair.pipeline.curate import CurateParams
    from cvpair.pipeline.ray_executor import RayExecutor
    from cvpair.pipeline.report import render
    from cvpair.release.register import register_release

    workers = workers or os.cpu_count() or 1
    executor = RayExecutor(address=address, num_cpus=workers) if engine == "ray" else None
    result = build_release(
        campaign, out, workers=workers, seed=seed, profile=profile, overwrite=overwrite,
        curate_params=CurateParams(max_per_view=max_per_view), work_dir=work_dir, executor=executor,
        progress=True,
    )  # fmt: skip
    if result.took_over:
        click.echo(f"note: {result.took_over}")
    click.echo(render(result.report))
    click.echo(f"shards: {result.shards_built} built, {result.shards_reused} reused from {result.work_dir}")
    if register:
        register_release(result.release)
        click.echo('registered: load_dataset("cvpair") now loads this release offline, from any folder')
    click.echo(f"release written to {result.release} in {result.seconds:.1f} s; load it with:")
    click.echo(f"  {result.load_line}")


@main.command()
@click.argument("release", type=_existing_dir, default="cvpair-release")
@click.option("--port", default=5151, show_default=True, help="Port of the FiftyOne App.")
@click.option("--address", default="127.0.0.1", show_default=True, help="Address the App listens on.")
@click.option("--protocol", type=click.Choice(list(PROTOCOLS)), default=DEFAULT_PROTOCOL, show_default=True,
              help="Protocol whose query / gallery roles fill the `role` field.")  # fmt: skip
@click.option("--name", help="FiftyOne dataset name [default: the release folder's, prefixed cvpair-].")
@click.option("--no-launch", is_flag=True, help="Only load (or refresh) the dataset; do not start the App.")
@click.option("--embeddings", "checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Training checkpoint.pt: embed every crop, index similarity, map in 2-D.")  # fmt: skip
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
              help="Where --embeddings runs the model.")  # fmt: skip
def browse(release: Path, port: int, address: str, protocol: str, name: str | None, no_launch: bool,
           checkpoint: Path | None, device: str) -> None:  # fmt: skip
    """Browse RELEASE's cross-view pairs in the FiftyOne App (until Ctrl-C)."""
    from cvpair.browse.loader import load_release

    dataset = load_release(release, name=name, protocol=protocol)
    click.echo(f"dataset {dataset.name!r}: {len(dataset.select_group_slices())} crops in pairs")
    if checkpoint is not None:
        from cvpair.browse.embeddings import SIMILARITY_KEY, VISUALIZATION_KEY, add_embeddings

        crops = add_embeddings(dataset, checkpoint, device=device)
        click.echo(
            f"embedded {len(crops)} crops with {checkpoint}; brain runs {SIMILARITY_KEY!r} (similarity), "
            f"{VISUALIZATION_KEY!r} (PCA map)"
        )
    if not no_launch:
        from cvpair.browse.app import serve

        serve(
            dataset, address=address, port=port, on_ready=lambda url: click.echo(f"App: {url}\nCtrl-C stops.")
        )


@main.group()
def review() -> None:
    """Turn curators' tags in the FiftyOne App into corrections for the next build."""


@review.command("apply")
@click.argument("release", type=_existing_dir, default="cvpair-release")
@click.option("--campaign", type=_existing_dir, help="Campaign folder [default: the one in provenance.json].")
@click.option("--name", help="FiftyOne dataset name [default: the release folder's, prefixed cvpair-].")
def review_apply(release: Path, campaign: Path | None, name: str | None) -> None:
    """Write RELEASE's `wrong_identity` / `bad_crop` tags into the campaign's corrections.csv."""
    from cvpair.browse.review import apply_review

    result = apply_review(release, campaign=campaign, name=name)
    click.echo(f"{result.path}: {result.from_tags} correction(s) from tags, {result.total} in all")


@main.command("check-campaign")
@click.argument("campaign", type=_existing_dir)
def check_campaign_command(campaign: Path) -> None:
    """Check a CAMPAIGN folder before building: every problem, with its file and line or frame."""
    from cvpair.campaign import check_campaign, load_campaign

    checked = check_campaign(load_campaign(campaign))
    for warning in checked.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    tracks = sum(len(clip.annotation.tracks) for clip in checked.clips)
    click.echo(f"{campaign}: {len(checked.clips)} clip(s), {tracks} track(s), no problems")


_DATASET = click.option("--dataset", type=click.Choice(["cvpair", "veri776", "vehicleid"]), default="cvpair",
                        show_default=True)  # fmt: skip
_CONFIG = click.option("--config", type=click.Choice(list(PROTOCOLS)),
                       help="CVPair protocol [default: both].")  # fmt: skip
_TEST_SIZE = click.option("--test-size", type=click.Choice(["800", "1600", "2400"]), multiple=True,
                          help="VehicleID test list(s) [default: all three]; repeat for more.")  # fmt: skip


@main.command("train-reference")
@click.argument("release", required=False)
@_DATASET
@_CONFIG
@_TEST_SIZE
@click.option("--epochs", type=int, default=60, show_default=True)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), help="[default: cuda when available]")
@click.option("--p", "p", type=int, default=16, show_default=True, help="Identities per batch.")
@click.option("--k", "k", type=int, default=4, show_default=True, help="Images per identity in a batch.")
@click.option("--input", "size", default="256x256", show_default=True, help="Input size HxW.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("cvnet-run"),
              show_default=True, help="Run folder: checkpoint, metrics, curves, report.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoint.pt (same settings only).")
@click.option("--search", is_flag=True, help="Search DFC's filtration ops (DARTS); write OUT/genotype.json.")
@click.option("--summary", is_flag=True, help="Print parameters and FLOPs and exit.")
@click.option("--model", default="cvnet", help="cvnet, baseline or an ablation (cvnet-no-msl, ...).")
@click.option("--genotype", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Filtration genotype JSON from --search [default: identity filtration].")  # fmt: skip
def train_reference(
    release, dataset, config, test_size, epochs, device, p, k, size, out, seed, resume, search, summary,
    model, genotype,
) -> None:  # fmt: skip
    """Train and evaluate the reference model (CVNet) on a CVPair RELEASE, VeRi-776 or VehicleID."""
    import torch

    from cvpair.training import reference

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    size = reference.parse_size(size)
    train = reference.TrainConfig(epochs=epochs, p=p, k=k, size=size, device=device, seed=seed)
    source = reference.DataSource(release, dataset, config, tuple(int(s) for s in test_size))
    run = reference.ReferenceRun(source, model, train, out, resume=resume, genotype=genotype)
    if summary:
        click.echo("\n".join(reference.summary_lines(run)))
    elif search:
        click.echo(f"genotype written to {reference.search(run)}")
    else:
        report = reference.train_reference(run)
        if report is not None:  # None on DDP ranks other than 0
            click.echo(report.read_text())


@main.command("evaluate-reference")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("release", required=False)
@click.option("--dataset", type=click.Choice(["cvpair", "veri776", "vehicleid"]),
              help="[default: the one the checkpoint was trained on, else cvpair]")  # fmt: skip
@_CONFIG
@_TEST_SIZE
@click.option("--flip", is_flag=True, help="Flip at test time: embed each image and its mirror image.")
@click.option("--rerank", is_flag=True, help="k-reciprocal re-ranking (k1=20, k2=6, lambda=0.3).")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), help="[default: cuda when available]")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Report folder [default: evaluation/ beside CHECKPOINT].")  # fmt: skip
@click.option("--fiftyone", "fiftyone_name", metavar="NAME",
              help="Also load the ranked lists into the FiftyOne dataset NAME.")  # fmt: skip
def evaluate_reference(
    checkpoint, release, dataset, config, test_size, flip, rerank, device, out, fiftyone_name
) -> None:  # fmt: skip
    """Evaluate a saved CHECKPOINT on RELEASE (a CVPair release, VeRi-776 or VehicleID) without training.

    RELEASE and --dataset default to what the checkpoint was trained on."""
    import torch

    from cvpair.training import reference

    recorded = reference.recorded_source(checkpoint)
    release = release or recorded.get("release")
    dataset = dataset or recorded.get("dataset", "cvpair")
    source = reference.DataSource(release, dataset, config, tuple(int(s) for s in test_size))
    run = reference.EvaluationRun(
        checkpoint, source, out or checkpoint.parent / "evaluation",
        device=device or ("cuda" if torch.cuda.is_available() else "cpu"),
        scoring=reference.Scoring(flip=flip, rerank=rerank), fiftyone=fiftyone_name,
    )  # fmt: skip
    report = reference.evaluate_reference(run)
    if report is not None:  # None on DDP ranks other than 0
        click.echo(report.read_text())


@main.command()
@click.argument("release", type=_existing_dir, default="cvpair-release")
def card(release: Path) -> None:
    """Rewrite RELEASE's dataset card (README.md, card/*.png) and croissant.json from its data."""
    from cvpair.release.card import write_card

    click.echo(f"card written: {write_card(release)}")


@main.command()
@click.argument("release", type=_existing_dir, default="cvpair-release")
@click.option("--repo-id", required=True, help="Hugging Face dataset repository, ORG/NAME.")
@click.option("--revision", help="Tag to create on the uploaded commit, e.g. v1.0 [default: no tag].")
@click.option("--private", is_flag=True, help="Create the repository as private.")
@click.option("--dry-run", is_flag=True, help="Only validate and list what would be uploaded, and where.")
@click.option("--workers", type=click.IntRange(min=1), help="Validation processes [default: one per CPU].")
def publish(
    release: Path, repo_id: str, revision: str | None, private: bool, dry_run: bool, workers: int | None
):
    """Validate RELEASE, then upload it to the Hugging Face Hub and tag the version."""
    from cvpair.release.publish import publish as publish_release

    plan, commit_url = publish_release(
        release, repo_id, revision=revision, private=private, dry_run=dry_run, workers=workers
    )
    click.echo(("dry run, nothing uploaded\n" if dry_run else "") + plan.render())
    if commit_url:
        click.echo(f"published: {commit_url}")


@main.command()
@click.argument("old", type=_existing_dir)
@click.argument("new", type=_existing_dir)
@click.option("--json", "as_json", is_flag=True, help="Print the full difference as JSON.")
def diff(old: Path, new: Path, as_json: bool) -> None:
    """List identities and images added, removed or moved between splits from release OLD to NEW."""
    from cvpair.release.diff import diff_releases

    difference = diff_releases(old, new)
    click.echo(difference.to_json() if as_json else difference.render())


@main.command()
@click.argument("release", type=click.Path(path_type=Path), default="cvpair-release")
@click.option("--profile", help="Profile to check sizes against [default: the one in provenance.json].")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--workers", type=click.IntRange(min=1), help="Decoding processes [default: one per CPU].")
@click.option("--phash-sample", type=click.FloatRange(0, 1), default=0.03125, show_default=True,
              help="Share of images whose pHash is recomputed from the pixels (1: all).")  # fmt: skip
def validate(release: Path, profile: str | None, as_json: bool, workers: int | None, phash_sample: float):
    """Check a RELEASE read-only; exit 0 when valid, 1 when an error-severity check fails."""
    from cvpair.checks.runner import validate_release

    report = validate_release(release, profile=profile, workers=workers, phash_sample=phash_sample)
    click.echo(report.to_json() if as_json else report.render_table())
    sys.exit(report.exit_code)


@main.command("import")
@click.argument("source", type=_existing_dir)
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Release folder to create (must not exist).")  # fmt: skip
@click.option("--profile", help="Also check the profile's table of counts, e.g. cvpair-v1.0.")
@click.option("--workers", type=click.IntRange(min=1), help="Decoding processes [default: one per CPU].")
@click.option("--strip-metadata", is_flag=True,
              help="Drop EXIF/GPS/XMP losslessly: a derived release [default: keep all bytes].")  # fmt: skip
@click.option("--register/--no-register", default=True, show_default=True,
              help='Make load_dataset("cvpair") find this release offline (datasets cache).')  # fmt: skip
def import_command(
    source: Path, out: Path, profile: str | None, workers: int | None, strip_metadata: bool, register: bool
) -> None:
    """Import a Market-1501-style tree (the published CVPair v1.0 folders) as a release at OUT."""
    from cvpair.checks.scan import default_workers
    from cvpair.market.importer import import_tree, render

    workers = workers or default_workers()
    result = import_tree(
        source, out, profile=profile, workers=workers, strip=strip_metadata, register=register
    )
    click.echo(render(result.report))
    if register:
        click.echo('registered: load_dataset("cvpair") now loads this release offline, from any folder')
    click.echo(f"release written to {result.release} in {result.seconds:.1f} s")


@main.command()
@click.argument("release", type=_existing_dir)
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to create (must not exist).")  # fmt: skip
@click.option("--format", "layout", type=click.Choice(["market1501"]), default="market1501",
              show_default=True, help="{a2g,g2a}/{bounding_box_train,query,bounding_box_test}/")  # fmt: skip
def export(release: Path, out: Path, layout: str) -> None:
    """Write RELEASE's images, original bytes, as a folder tree other ReID code reads."""
    from cvpair.market.exporter import export_release

    result = export_release(release, out)
    click.echo(f"{result.files} image files written to {result.tree} ({layout}) in {result.seconds:.1f} s")


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--profile", type=click.Choice(["demo", "cvpair-v1.0"]), default="demo", show_default=True,
              help="Campaign size: demo (24 identities) or cvpair-v1.0 (894 identities).")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same campaign.")
@click.option("--workers", type=click.IntRange(min=1), help="Rendering processes [default: one per CPU].")
@click.option("--codec", type=click.Choice(["h264", "hevc"]), default="h264", show_default=True)
@click.option("--bit-depth", type=click.Choice(["8", "10"]), default="8", show_default=True)
@click.option("--container", type=click.Choice(["mp4", "mov"]), default="mp4", show_default=True)
@click.option("--b-frames", type=click.IntRange(0, 8), default=0, show_default=True,
              help="B-frames between reference frames (the same bytes each run only without).")  # fmt: skip
@click.option("--rotation", type=click.Choice(["0", "90", "180", "270"]), default="0", show_default=True,
              help="Rotation tag of the street clips (a phone filmed upright), anticlockwise.")  # fmt: skip
@click.option("--resolution", metavar="WxH", help="Frame size [default: the profile's, 1280x720].")
@click.option("--srt-layout", default="mavic3", show_default=True,
              help="Drones' SRT layout: mavic3, air2s, mavic2pro, p4p, mavicpro or m300.")  # fmt: skip
@click.option("--annotations", default="cvat", show_default=True,
              type=click.Choice(["cvat", "fiftyone", "cvat-project", "labels", "mot", "mot10", "rotated"]),
              help="How annotations are written: as CVAT exports a task, as FiftyOne re-saves it, "
                   "one CVAT project export, other labels, CVAT's MOT 1.1 export, tracker MOT, "
                   "rotated boxes.")  # fmt: skip
def synth(out: Path, profile: str, seed: int, workers: int | None, annotations: str, codec: str,
          bit_depth: str, container: str, b_frames: int, rotation: str, resolution: str | None,
          srt_layout: str) -> None:  # fmt: skip
    """Generate a synthetic capture campaign (drone and street clips, CVAT XML, DJI SRT) in OUT."""
    import dataclasses
    import time

    from cvpair.synth import CampaignMedia, VideoFormat, generate_campaign, get_profile
    from cvpair.synth.variants import rewrite_annotations

    settings = get_profile(profile)
    if resolution:
        width, _, height = resolution.lower().partition("x")
        if not (width.isdigit() and height.isdigit()) or int(width) % 2 or int(height) % 2:
            raise click.BadParameter(
                f"{resolution!r}: give even WIDTHxHEIGHT, e.g. 3840x2160", param_hint="--resolution"
            )
        settings = dataclasses.replace(settings, width=int(width), height=int(height))
    video = VideoFormat(codec=codec, bit_depth=int(bit_depth), container=container, b_frames=b_frames)
    media = CampaignMedia(video, dataclasses.replace(video, rotation=int(rotation)), srt_layout)
    started = time.perf_counter()
    generate_campaign(out, profile=settings, seed=seed, workers=workers, media=media)
    rewrite_annotations(out, annotations)
    clips = len((out / "manifest.csv").read_text().splitlines()) - 1
    identities = settings.identities
    seconds = time.perf_counter() - started
    click.echo(f"campaign written to {out}: {clips} clips, {identities} identities in {seconds:.1f} s")
