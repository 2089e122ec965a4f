"""annotation/cvat_labels.json, the CVAT label constructor schema, agrees with what the checks accept."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from cvpair.campaign import check_campaign, load_campaign
from cvpair.campaign.labels import default_vehicle_labels
from cvpair.errors import InputError
from tests.helpers.campaign_files import cvat_xml, still_track, write_campaign
from tests.helpers.paths import ROOT

SCHEMA = ROOT / "annotation" / "cvat_labels.json"


def _identity_attribute():
    [label] = json.loads(SCHEMA.read_text())
    assert label["name"] in default_vehicle_labels()
    [attribute] = [a for a in label["attributes"] if a["name"] == "identity"]
    return attribute


def test_identity_is_an_immutable_number():
    attribute = _identity_attribute()

    assert (attribute["input_type"], attribute["mutable"]) == ("number", False)
    low, high, step = (int(value) for value in attribute["values"])
    assert low <= int(attribute["default_value"]) <= high and step == 1


def test_a_track_left_at_the_default_identity_is_refused(tmp_path):
    root = write_campaign(tmp_path, aerial=0, ground=1)
    default = int(_identity_attribute()["default_value"])
    (root / "annotations" / "G0000.xml").write_text(cvat_xml([still_track(0, default)]))

    with pytest.raises(InputError, match="not set"):
        check_campaign(load_campaign(root))


def test_the_synthetic_campaigns_declare_the_same_identity_attribute(demo_campaign):
    """A task the generator writes imports into CVAT with the label schema annotators get."""
    attribute = _identity_attribute()
    xml = ElementTree.parse(next((demo_campaign / "annotations").glob("*.xml")))
    [declared] = xml.findall("meta/task/labels/label/attributes/attribute")
    assert declared.findtext("name") == "identity"
    assert declared.findtext("default_value") == attribute["default_value"]
    assert declared.findtext("values").split("\n") == attribute["values"]
    assert declared.findtext("input_type") == attribute["input_type"]
