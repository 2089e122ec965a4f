"""Reading corrections.csv: reviewers' drop / relabel decisions, bad rows named by line."""

from __future__ import annotations

import pytest

from cvpair.campaign import read_corrections
from cvpair.campaign.model import Correction
from cvpair.errors import InputError


def test_reads_drop_and_relabel_rows(tmp_path):
    path = tmp_path / "corrections.csv"
    path.write_text(
        "image_id,action,identity,note\n"
        "A1/00003/0000010,drop,,blurred\n"
        "G1/00001/0000002,relabel,42,same van\n"
    )

    assert read_corrections(path) == [
        Correction("A1/00003/0000010", "drop", None, "blurred", 2),
        Correction("G1/00001/0000002", "relabel", 42, "same van", 3),
    ]


def test_bad_rows_are_named_by_line(tmp_path):
    path = tmp_path / "corrections.csv"
    path.write_text(
        "image_id,action,identity,note\n"
        "A1/00003/0000010,delete,,\n"  # unknown action
        "A1/00003/0000011,relabel,,\n"  # relabel without identity
        "A1/00003/0000012,drop,,\n"
        "A1/00003/0000012,relabel,5,\n"  # contradicts line 4
    )

    with pytest.raises(InputError) as caught:
        read_corrections(path)

    assert [p.line for p in caught.value.problems] == [2, 3, 5]
