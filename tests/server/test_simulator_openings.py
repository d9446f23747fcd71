"""Training simulator: real customer messages (Banking77 text,category CSV) as first words."""

from __future__ import annotations

import json
import random

import pytest

from csdesk.server.simulator.openings import Opening, load_openings
from csdesk.server.simulator.scenarios import load_scenarios, pick_scenario
from tests.shared_data import BANKING77

CATEGORIES = json.loads((BANKING77 / "categories.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def banking77():
    return load_openings(BANKING77 / "train.csv")


def test_real_banking77_loads(banking77):
    assert banking77.rows == 10_003
    assert banking77.skipped == 0
    assert sorted(banking77.categories) == sorted(CATEGORIES)
    assert sum(len(v) for v in banking77.by_category.values()) == 10_003
    assert "I am still waiting on my card?" in banking77.by_category["card_arrival"]


def test_every_real_category_maps_to_a_serving_scenario(banking77):
    scenarios = load_scenarios(known_categories=CATEGORIES)
    rng = random.Random(0)
    for category in banking77.categories:
        assert category in pick_scenario(category, scenarios, rng).categories


def test_pick_is_seeded_and_follows_frequencies(banking77):
    a = [banking77.pick(random.Random(42)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    rng1, rng2 = random.Random(5), random.Random(5)
    assert [banking77.pick(rng1) for _ in range(50)] == [banking77.pick(rng2) for _ in range(50)]
    got = banking77.pick_in("lost_or_stolen_card", random.Random(1))
    assert isinstance(got, Opening) and got.category == "lost_or_stolen_card"
    assert got.text in banking77.by_category["lost_or_stolen_card"]
    assert banking77.pick_in("nope", random.Random(1)) is None
    assert len(list(banking77)) == 10_003


def test_malformed_rows_are_skipped_and_counted(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "\ufefftext,category\n"
        "I lost my card,lost_or_stolen_card\n"
        "only one column\n"
        ",empty_text\n"
        "empty category,\n"
        "three,columns,here\n"
        '"a quoted\nmulti-line   message, with a comma",card_arrival\n'
        "\n",
        encoding="utf-8",
    )
    openings = load_openings(path)
    assert openings.rows == 2
    assert openings.skipped == 5  # one column, empty text, empty category, three columns, blank line
    assert openings.by_category["card_arrival"] == ["a quoted multi-line message, with a comma"]


def test_no_header_is_fine_and_empty_file_is_an_error(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("hello there,greeting\n", encoding="utf-8")
    assert load_openings(path).rows == 1
    path.write_text("text,category\nbad row\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"c\.csv: no text,category rows \(1 malformed\)"):
        load_openings(path)
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_openings(path)
    with pytest.raises(OSError):
        load_openings(tmp_path / "missing.csv")
