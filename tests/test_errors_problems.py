"""A BagsmithError can carry the problems behind it; ``to_dict()`` (the --json error) lists
them only when there are some, and they survive pickling (batch workers send errors back)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from bagsmith.bagit.validate import Mode, validate_bag
from bagsmith.errors import BagError, BagsmithError, ProfileError
from bagsmith.pipeline import package_steps
from bagsmith.problems import Problem
from tests.servers import sample_bag


def test_problems_are_listed_in_to_dict_only_when_given() -> None:
    assert "problems" not in BagsmithError("x").to_dict()
    assert BagsmithError("x").problems == []
    problems = [
        Problem("profile-tag-missing", "Source-Organization is required"),
        Problem("xml-schema-invalid", "bad size", "mets.xml", 12),
    ]
    error = ProfileError("refused", problems=problems)
    data = error.to_dict()
    assert data["code"] == "profile" and data["message"] == "refused"
    assert data["problems"] == [
        {
            "code": "profile-tag-missing",
            "severity": "error",
            "message": "Source-Organization is required",
            "path": None,
            "line": None,
        },
        {
            "code": "xml-schema-invalid",
            "severity": "error",
            "message": "bad size",
            "path": "mets.xml",
            "line": 12,
        },
    ]
    assert str(error) == "refused"  # the message is unchanged; the problems are extra data
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == problems and copy.to_dict() == data


def test_a_staged_bag_that_does_not_validate_carries_its_problems(tmp_path: Path) -> None:
    bag = sample_bag(tmp_path)
    (bag / "data" / "article.txt").write_text("changed\n", encoding="utf-8")
    validation = validate_bag(bag, mode=Mode.FULL, processes=1)
    with pytest.raises(BagError) as caught:
        package_steps.fail_invalid(validation)
    assert "payload-digest-mismatch" in {p.code for p in caught.value.problems}
    assert caught.value.to_dict()["problems"] == [p.to_dict() for p in caught.value.problems]
    assert all(p.level.value == "error" for p in caught.value.problems)
    assert "payload-digest-mismatch" in str(caught.value)
