"""Snapshot of the synthesized templates. ``UPDATE_SNAPSHOTS=1 pytest ...`` rewrites them.

Asset hashes (the auto-delete Lambda's code) and CDK's metadata resource change with
aws-cdk-lib versions, so they are normalised away before comparing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from synth_helpers import Synth

pytestmark = pytest.mark.unit

SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshots"
_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def normalise(template: dict[str, Any]) -> dict[str, Any]:
    template = dict(template)
    # CDK's usage-analytics blob changes with library versions; it is not our template.
    template["Resources"] = {
        key: value
        for key, value in template.get("Resources", {}).items()
        if value.get("Type") != "AWS::CDK::Metadata"
    }
    text = _HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True))
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.mark.parametrize("variant", ["default", "local"])
def test_template_matches_snapshot(variant: str, synths: dict[str, Synth]) -> None:
    actual = normalise(synths[variant].data)
    path = SNAPSHOT_DIR / f"{variant}.template.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOT_DIR.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"{path.name} did not exist and was written; review and re-run")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected, (
        f"The {variant} template changed. If intended, run UPDATE_SNAPSHOTS=1 pytest "
        f"tests/unit/test_snapshot.py and review the diff of {path.name}."
    )


def test_normalise_replaces_only_hashes() -> None:
    sample = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "S3Key": "a" * 64 + ".zip"},
            "CDKMetadata": {"Type": "AWS::CDK::Metadata"},
        },
        "Name": "attempt-dynamodb-sensor-data",
    }
    assert normalise(sample) == {
        "Resources": {"Fn": {"Type": "AWS::Lambda::Function", "S3Key": "<asset-hash>.zip"}},
        "Name": "attempt-dynamodb-sensor-data",
    }
