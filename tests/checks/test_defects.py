"""The broken-release corpus: each test takes the good release, applies exactly one defect, and checks
that validation fails through the right check with a message naming the rows or files at fault."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from cvpair import protocol
from cvpair.checks.report import Status
from cvpair.checks.runner import validate_release
from cvpair.pipeline.phash import phash, to_hex
from cvpair.release import layout
from cvpair.release.provenance import Provenance
from cvpair.release.writer import write_release
from cvpair.schema import arrow_schema, image_id
from tests.helpers.release_factory import make_release

TRAIN_IDS, TEST_IDS = [1, 2, 3], [4, 5, 6]


@pytest.fixture(scope="module")
def good_release(tmp_path_factory) -> Path:
    return make_release(tmp_path_factory.mktemp("good") / "release", TRAIN_IDS, TEST_IDS, images_per_view=3)


@pytest.fixture
def release(good_release, tmp_path) -> Path:
    """A private copy of the good release, for one test to break."""
    return Path(shutil.copytree(good_release, tmp_path / "release"))


# --- generic helpers: read a release's rows, change them, write them back --------------------------


def data_file(release: Path, file_split: str) -> Path:
    (path,) = sorted(release.glob(layout.data_pattern(file_split)))
    return path


def read_rows(release: Path) -> dict[str, list[dict]]:
    return {s: pq.read_table(data_file(release, s)).to_pylist() for s in protocol.FILE_GROUP_NAMES}


def rewrite_data(release: Path, rows: dict[str, list[dict]]) -> None:
    """Write changed rows back into the same Parquet files (counts and manifest stay as they were)."""
    for file_split, group in rows.items():
        pq.write_table(pa.Table.from_pylist(group, schema=arrow_schema()), data_file(release, file_split))


def rebuild(release: Path, rows: dict[str, list[dict]]) -> None:
    """Write a whole new release from changed rows: manifest and card follow the data."""
    tables = {
        s: [pa.Table.from_pylist(sorted(g, key=lambda r: r["image_id"]), schema=arrow_schema())]
        for s, g in rows.items()
    }
    write_release(
        release,
        tables,
        provenance=Provenance(parameters={"profile": "demo", "seed": 0}),
        report={},
        overwrite=True,
    )


def hashes(data: bytes) -> dict:
    """The columns that must follow an image's bytes."""
    with Image.open(io.BytesIO(data)) as image:
        value = phash(np.asarray(image.convert("L")))
    return {"sha256": hashlib.sha256(data).hexdigest(), "phash": to_hex(value)}


def set_image(row: dict, data: bytes, *, with_hashes: bool = True) -> None:
    row["image"] = {"bytes": data, "path": None}
    if with_hashes:
        row.update(hashes(data))
    else:
        row["sha256"] = hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def failing_errors(release: Path, **kwargs) -> tuple[set[str], object]:
    report = validate_release(release, **{"workers": 1, **kwargs})
    errors = {r.name for r in report.results if r.failed_error}
    return errors, report


def assert_caught_by(release: Path, check: str, *named: str, **kwargs) -> None:
    errors, report = failing_errors(release, **kwargs)
    assert check in errors, report.render_table()
    message = report.result(check).message
    for name in named:
        assert name in message, message
    assert report.exit_code == 1


# --- the corpus ----------------------------------------------------------------------------------


def test_the_good_release_passes_with_no_error(good_release):
    errors, report = failing_errors(good_release)
    assert errors == set(), report.render_table()
    assert report.valid
    assert not any(r.status is Status.SKIP for r in report.results), report.render_table()


def test_identity_in_both_train_and_test(release):
    rows = read_rows(release)
    for row in rows[protocol.TRAIN_GROUP.name]:
        if row["identity"] == 1:
            row["identity"] = 4
    rebuild(release, rows)
    errors, report = failing_errors(release)
    assert errors == {"protocol.disjoint_identities"}, report.render_table()
    assert "identities in both train and test (1): 4" in report.result("protocol.disjoint_identities").message


def test_image_duplicated_across_splits(release):
    rows = read_rows(release)
    source, target = rows[protocol.GALLERY_GROUND.name][0], rows[protocol.TRAIN_GROUP.name][-1]
    for column in ("image", "sha256", "phash", "crop_width", "crop_height"):
        target[column] = source[column]
    rewrite_data(release, rows)
    errors, report = failing_errors(release)
    assert errors == {"integrity.duplicate_bytes"}, report.render_table()
    message = report.result("integrity.duplicate_bytes").message
    assert source["image_id"] in message and target["image_id"] in message


@pytest.mark.parametrize("workers", [1, 2])  # 2: the pair's thumbnails come back from spawned workers
def test_brightened_reencoded_copy_across_splits_is_a_near_duplicate(release, workers):
    rows = read_rows(release)
    source, target = rows[protocol.GALLERY_AERIAL.name][1], rows[protocol.TRAIN_GROUP.name][0]
    pixels = np.asarray(decode(source["image"]["bytes"]), dtype=np.int16) + 12
    copy = encode(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), quality=85)
    set_image(target, copy)
    target["crop_width"], target["crop_height"] = source["crop_width"], source["crop_height"]
    rewrite_data(release, rows)
    errors, report = failing_errors(release, workers=workers)
    assert errors == {"integrity.near_duplicates"}, report.render_table()
    message = report.result("integrity.near_duplicates").message
    assert f"{target['image_id']} (train) ~ {source['image_id']} (test" in message


def test_same_shape_in_another_colour_across_splits_is_a_look_alike_warning_not_an_error(release):
    rows = read_rows(release)
    source, target = rows[protocol.GALLERY_AERIAL.name][1], rows[protocol.TRAIN_GROUP.name][0]
    y, cb, cr = decode(source["image"]["bytes"]).convert("YCbCr").split()
    # the same grey structure (so a pHash within 4 bits) in a slightly bluer paint: a look-alike vehicle,
    # not a copy (thumbnail correlation 0.98 on this crop: between 0.95 and the 0.99 of a copy)
    other_paint = Image.merge("YCbCr", (y, cb.point(lambda v: min(255, v + 40)), cr)).convert("RGB")
    set_image(target, encode(other_paint, quality=95))
    target["crop_width"], target["crop_height"] = source["crop_width"], source["crop_height"]
    rewrite_data(release, rows)
    errors, report = failing_errors(release)
    assert errors == set(), report.render_table()
    assert report.result("integrity.look_alikes").status == Status.FAIL
    assert (
        f"{target['image_id']} (train) ~ {source['image_id']} (test"
        in report.result("integrity.look_alikes").message
    )


def test_corrupt_jpeg(release):
    rows = read_rows(release)
    row = rows[protocol.TRAIN_GROUP.name][4]
    set_image(row, row["image"]["bytes"][: len(row["image"]["bytes"]) // 2], with_hashes=False)
    rewrite_data(release, rows)
    errors, report = failing_errors(release)
    assert errors == {"integrity.decode"}, report.render_table()
    assert row["image_id"] in report.result("integrity.decode").message


def test_an_imported_png_is_accepted_and_counted_a_footage_one_is_not(release):
    rows = read_rows(release)
    imported, footage = rows[protocol.GALLERY_GROUND.name][2], rows[protocol.GALLERY_GROUND.name][3]
    _imported(imported)
    for row in (imported, footage):
        set_image(row, encode(decode(row["image"]["bytes"]), "PNG"), with_hashes=False)
    rebuild(release, rows)
    errors, report = failing_errors(release)
    assert errors == {"integrity.jpeg"}, report.render_table()
    assert (
        report.result("integrity.jpeg").message
        == f"images that are not JPEG (1): {footage['image_id']} (PNG)"
    )
    assert report.sections["image_formats"] == {"JPEG": 34, "PNG": 2}
    assert "image formats: JPEG 34, PNG 2" in report.render_table()


def test_a_gif_where_a_jpeg_belongs(release):
    rows = read_rows(release)
    row = rows[protocol.GALLERY_GROUND.name][2]
    set_image(row, encode(decode(row["image"]["bytes"]), "GIF"), with_hashes=False)
    rewrite_data(release, rows)
    errors, report = failing_errors(release)
    assert "integrity.jpeg" in errors, report.render_table()
    assert f"{row['image_id']} (GIF)" in report.result("integrity.jpeg").message


def test_counts_that_differ_from_the_profile(release):
    # cvpair-v1.0 fixes 894 identities and 14,969 images; this release has 6 and 36 (6 x 2 views x 3).
    errors, report = failing_errors(release, profile="cvpair-v1.0")
    assert errors == {"profile.counts", "profile.file_groups"}, report.render_table()
    message = report.result("profile.counts").message
    assert "total identities: 6 (profile 894)" in message and "total images: 36 (profile 14969)" in message
    assert "test identities: 3 (profile 503)" in message
    # the published table per file group and view: 3 test identities x (1 query + 2 gallery) per view here
    assert report.result("profile.file_groups").message == (
        "file groups differ from profile 'cvpair-v1.0' (6): train aerial: 9 (profile 5879), "
        "train ground: 9 (profile 1569), query_aerial aerial: 3 (profile 503), "
        "gallery_ground ground: 6 (profile 1513), query_ground ground: 3 (profile 503), "
        "gallery_aerial aerial: 6 (profile 5002)"
    )


def test_wrong_column_type(release):
    path = data_file(release, protocol.TRAIN_GROUP.name)
    table = pq.read_table(path)
    index = table.schema.get_field_index("crop_width")
    table = table.set_column(
        index, pa.field("crop_width", pa.int64(), nullable=False), table["crop_width"].cast(pa.int64())
    )
    pq.write_table(table, path)
    errors, report = failing_errors(release)
    assert errors == {"layout.schema"}, report.render_table()
    message = report.result("layout.schema").message
    assert path.name in message and "crop_width: int64" in message


def test_missing_column(release):
    path = data_file(release, protocol.GALLERY_AERIAL.name)
    pq.write_table(pq.read_table(path).drop_columns(["sharpness"]), path)
    errors, report = failing_errors(release)
    assert errors == {"layout.schema"}, report.render_table()
    assert f"{path.name}: missing columns (1): sharpness" in report.result("layout.schema").message


def test_exif_with_gps_inside_an_image(release):
    rows = read_rows(release)
    row = rows[protocol.GALLERY_AERIAL.name][0]
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (22.0, 7.0, 24.0), 3: "E", 4: (113.0, 7.0, 24.0)}  # GPS IFD
    payload = b"Exif\0\0" + exif.tobytes()
    data = row["image"]["bytes"]
    with_exif = data[:2] + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]
    set_image(row, with_exif, with_hashes=False)
    rewrite_data(release, rows)
    errors, report = failing_errors(release)
    assert errors == {"metadata.embedded"}, report.render_table()
    assert f"{row['image_id']} (EXIF+GPS)" in report.result("metadata.embedded").message


def test_query_without_a_gallery_match(release):
    rows = read_rows(release)
    gallery = protocol.GALLERY_GROUND.name
    rows[gallery] = [r for r in rows[gallery] if r["identity"] != 5]
    (lonely,) = [r["image_id"] for r in rows[protocol.QUERY_AERIAL.name] if r["identity"] == 5]
    rebuild(release, rows)
    errors, report = failing_errors(release)
    # identity 5 keeps one ground image: its g2a query, which is in no a2g gallery
    assert errors == {"protocol.a2g_matches"}, report.render_table()
    assert f"(1): {lonely} (identity 5)" in report.result("protocol.a2g_matches").message


def test_readme_count_that_disagrees(release):
    card = release / layout.CARD
    text, replaced = re.subn(
        r"^\| test \| aerial \| 3 \| 9 \|", "| test | aerial | 3 | 10 |", card.read_text(), flags=re.M
    )
    assert replaced == 1
    card.write_text(text)
    errors, report = failing_errors(release)
    assert errors == {"card.counts"}, report.render_table()
    assert "test/aerial images: card '10', data 9" in report.result("card.counts").message


def test_readme_protocol_table_count_that_disagrees(release):
    card = release / layout.CARD
    text, replaced = re.subn(
        r"^\| a2g \| gallery \| `gallery_ground` \| ground \| 6 \| 3 \|",
        "| a2g | gallery | `gallery_ground` | ground | 7 | 3 |",
        card.read_text(),
        flags=re.M,
    )
    assert replaced == 1
    card.write_text(text)
    errors, report = failing_errors(release)
    assert errors == {"card.counts"}, report.render_table()
    assert "gallery_ground/ground images: card '7', data 6" in report.result("card.counts").message


def test_truncated_parquet_file(release):
    path = data_file(release, protocol.GALLERY_GROUND.name)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    errors, report = failing_errors(release)
    assert errors == {"layout.parquet"}, report.render_table()
    assert path.name in report.result("layout.parquet").message
    skipped = {r.name for r in report.results if r.status is Status.SKIP}
    assert "integrity.decode" in skipped and "protocol.a2g_matches" in skipped


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [
        ("bbox_x", 1250.0, "metadata.bbox"),
        ("altitude_m", 900.0, "metadata.altitude"),
        ("timestamp_s", 0.0, "metadata.timestamps"),
        ("sha256", "0" * 64, "integrity.sha256"),
        ("crop_height", 7, "integrity.size"),
    ],
)
def test_a_wrong_metadata_value_is_named(release, column, value, check):
    rows = read_rows(release)
    row = rows[protocol.GALLERY_AERIAL.name][2]  # the third frame of its track: timestamp 0 goes backwards
    row[column] = value
    rewrite_data(release, rows)
    assert_caught_by(release, check, row["image_id"])


def test_a_rotated_box_is_outside_its_frame_only_when_its_centre_is(release):
    rows = read_rows(release)
    over_the_edge, centre_outside = (
        rows[protocol.GALLERY_AERIAL.name][1],
        rows[protocol.GALLERY_AERIAL.name][2],
    )
    # both reach past the right edge of their 1280 px frame; only the second has its centre beyond it
    for row, centre_x in ((over_the_edge, 1277.0), (centre_outside, 1285.0)):
        row["bbox_angle"] = 30.0
        row["bbox_x"] = centre_x - row["bbox_w"] / 2
    rewrite_data(release, rows)

    assert_caught_by(release, "metadata.bbox", centre_outside["image_id"])
    assert (
        over_the_edge["image_id"] not in validate_release(release, workers=1).result("metadata.bbox").message
    )


def test_sampled_phash_column_that_disagrees_with_the_pixels(release):
    rows = read_rows(release)
    row = rows[protocol.TRAIN_GROUP.name][3]
    row["phash"] = to_hex(int(row["phash"], 16) ^ 0xFFFF)  # 16 bits off: no near-duplicate appears either
    rewrite_data(release, rows)
    errors, report = failing_errors(release, phash_sample=1.0)
    assert errors == {"integrity.phash_column"}, report.render_table()
    assert row["image_id"] in report.result("integrity.phash_column").message


def test_not_a_release_is_an_input_error(tmp_path):
    from cvpair.errors import InputError

    with pytest.raises(InputError, match="not a release"):
        validate_release(tmp_path)


def test_aerial_row_missing_altitude_in_a_clip_with_telemetry_is_only_a_warning(release):
    """Frames outside the SRT's times have none (1 Hz firmwares start one second in)."""
    rows = read_rows(release)
    row = rows[protocol.GALLERY_AERIAL.name][1]
    row["altitude_m"], row["altitude_reference"] = None, None
    rewrite_data(release, rows)
    report = validate_release(release, workers=1)
    assert report.valid, report.render_table()
    assert report.failed() == ["metadata.altitude_coverage"]
    assert row["image_id"] in report.result("metadata.altitude_coverage").message


@pytest.mark.parametrize(
    ("reference", "altitude", "valid"),
    [("above_takeoff", 900.0, False), ("above_sea_level", 900.0, True), ("unknown", 1.0, True)],
)
def test_the_altitude_range_applies_above_takeoff_only(release, reference, altitude, valid):
    rows = read_rows(release)
    row = rows[protocol.GALLERY_AERIAL.name][1]
    row["altitude_m"], row["altitude_reference"] = altitude, reference
    rewrite_data(release, rows)
    if valid:
        assert "metadata.altitude" not in validate_release(release, workers=1).failed()
    else:
        assert_caught_by(release, "metadata.altitude", row["image_id"])


@pytest.mark.parametrize(("altitude", "reference"), [(60.0, None), (60.0, "above ground"), (None, "unknown")])
def test_altitude_and_its_reference_come_together(release, altitude, reference):
    rows = read_rows(release)
    row = rows[protocol.GALLERY_AERIAL.name][1]
    row["altitude_m"], row["altitude_reference"] = altitude, reference
    rewrite_data(release, rows)
    assert_caught_by(release, "metadata.altitude", row["image_id"])


def test_aerial_clip_without_any_telemetry_is_only_a_warning(release):
    rows = read_rows(release)
    clip = rows[protocol.GALLERY_AERIAL.name][0]["clip"]
    for row in (row for group in rows.values() for row in group):
        if row["clip"] == clip:
            row["altitude_m"], row["altitude_reference"] = None, None
    rewrite_data(release, rows)
    report = validate_release(release, workers=1)
    assert report.valid, report.render_table()
    assert report.failed() == ["metadata.altitude_coverage"]
    assert clip in report.result("metadata.altitude_coverage").message


def test_ground_row_in_the_aerial_test_file(release):
    rows = read_rows(release)
    row = rows[protocol.GALLERY_AERIAL.name][0]
    # a ground row, consistent in itself, filed as aerial
    row["view"], row["altitude_m"], row["altitude_reference"] = 1, None, None
    rebuild(release, rows)
    errors, report = failing_errors(release)
    assert errors == {"layout.file_groups"}, report.render_table()
    assert (
        f"gallery_aerial rows that are not aerial (1): {row['image_id']}"
        in report.result("layout.file_groups").message
    )


def test_malformed_phash_is_named_and_left_out_of_the_near_duplicate_search(release):
    rows = read_rows(release)
    row = rows[protocol.GALLERY_GROUND.name][1]
    row["phash"] = "not-a-hash"
    rewrite_data(release, rows)
    assert_caught_by(release, "integrity.phash_column", row["image_id"])


def test_profile_sizes_per_split_and_view_are_checked_where_given(good_release):
    from cvpair.checks.facts import gather_facts
    from cvpair.checks.profile import counts_match_profile
    from cvpair.profiles import Profile, read_table

    # 3 train and 3 test identities x 2 views x 3 images: one query and two gallery images per test view
    table = {
        "identities": {"train": 3, "test": 3},
        "images": {
            "train": {"aerial": 10, "ground": 9},
            "a2g": {"query": 3, "gallery": 6},
            "g2a": {"query": 3, "gallery": 6},
        },
    }
    facts = gather_facts(good_release, profile="demo")
    (finding,) = counts_match_profile(replace(facts, profile=Profile("sized", read_table(table, "sized"))))
    assert finding.items == ("total images: 36 (profile 37)", "train/aerial images: 9 (profile 10)")


def test_a_second_query_for_one_identity(release):
    rows = read_rows(release)
    gallery, query = protocol.GALLERY_AERIAL.name, protocol.QUERY_AERIAL.name
    moved = next(r for r in rows[gallery] if r["identity"] == 4)
    rows[gallery].remove(moved)
    rows[query].append(moved)
    rebuild(release, rows)
    errors, report = failing_errors(release)
    assert errors == {"protocol.one_query"}, report.render_table()
    assert (
        report.result("protocol.one_query").message == "a2g: test identities with more than one query (1): 4"
    )


def test_a_query_that_is_also_in_the_other_protocols_gallery(release):
    rows = read_rows(release)
    query = next(r for r in rows[protocol.QUERY_GROUND.name] if r["identity"] == 6)
    frame = query["frame"] + 1  # a later frame of the same track, with the query's very bytes
    copy = {**query, "frame": frame, "timestamp_s": query["timestamp_s"] + 0.01}
    copy["image_id"] = image_id(query["clip"], query["track"], frame)
    rows[protocol.GALLERY_GROUND.name].append(copy)
    rebuild(release, rows)
    errors, report = failing_errors(release)
    assert "protocol.query_not_in_other_gallery" in errors, report.render_table()
    assert errors <= {"protocol.query_not_in_other_gallery", "integrity.duplicate_bytes"}
    message = report.result("protocol.query_not_in_other_gallery").message
    assert message == f"g2a queries also in the a2g gallery (gallery_ground) (1): {query['image_id']}"


def _imported(row: dict) -> None:
    """Make a footage row look imported: the name's facts kept, the footage-only columns null."""
    from cvpair.schema import FOOTAGE_ONLY

    row.update({column: None for column in FOOTAGE_ONLY})
    row["source_name"] = f"{row['identity']:04d}_c{1 - row['view']}s1_{row['frame']:05d}_00.jpg"
    row["image_id"] = row["source_name"].removesuffix(".jpg")
    row["sequence"], row["instance"] = 1, 0


def test_imported_rows_pass_without_footage_columns_and_say_their_embedded_metadata(release):
    rows = read_rows(release)
    imported = rows[protocol.GALLERY_AERIAL.name]
    for row in imported:
        _imported(row)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (22.0, 7.0, 24.0)}  # GPS IFD
    with_exif = imported[0]
    set_image(with_exif, encode(decode(with_exif["image"]["bytes"]), exif=exif.tobytes(), quality=95))
    rebuild(release, rows)
    report = validate_release(release, workers=1)
    assert report.valid, report.render_table()
    assert report.failed() == ["metadata.embedded_imported"]
    message = report.result("metadata.embedded_imported").message
    assert f"{with_exif['image_id']} (EXIF+GPS)" in message


def test_an_imported_row_with_a_footage_column(release):
    rows = read_rows(release)
    row = rows[protocol.GALLERY_AERIAL.name][0]
    _imported(row)
    row["clip"] = "A0004"
    rebuild(release, rows)
    errors, report = failing_errors(release)
    assert errors == {"metadata.footage_columns"}, report.render_table()
    expected = f"imported rows with footage columns clip (1): {row['image_id']}"
    assert report.result("metadata.footage_columns").message == expected


def test_the_report_has_a_section_per_protocol(good_release):
    report = validate_release(good_release, workers=1)
    # 3 train identities x 2 views x 3 images; 3 test identities, one query and two gallery images per view
    expected = {
        "train": {"images": 18, "identities": 3},
        "queries_with_a_match": 3,
    }
    a2g, g2a = report.sections["protocols"]["a2g"], report.sections["protocols"]["g2a"]
    assert a2g == {
        **expected,
        "title": "aerial to ground",
        "query": {"view": "aerial", "images": 3, "identities": 3},
        "gallery": {"view": "ground", "images": 6, "identities": 3},
    }
    assert g2a == {
        **expected,
        "title": "ground to aerial",
        "query": {"view": "ground", "images": 3, "identities": 3},
        "gallery": {"view": "aerial", "images": 6, "identities": 3},
    }
    table = report.render_table()
    assert (
        "protocol a2g (aerial to ground): train 18 images / 3 identities; query 3 aerial / 3 identities; "
        "gallery 6 ground / 3 identities; 3 of 3 queries have a true match"
    ) in table
    assert json.loads(report.to_json())["protocols"] == report.sections["protocols"]
