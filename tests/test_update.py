"""tfft update publishes a good candidate and refuses one made worse on purpose; rollback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import sentiment_rows, write_csv
from tfft.export.from_run import export_run
from tfft.export.versions import existing_versions, next_version, retired_versions
from tfft.commands.update import rollback, update_model

FAST = ["training.epochs=3", "training.learning_rate=3e-3", "training.warmup_ratio=0.0"]


def flipped(rows):
    return [(text, "negative" if label == "positive" else "positive") for text, label in rows]


@pytest.fixture
def served(trained_tiny, tmp_path) -> Path:
    root = tmp_path / "served" / "sentiment"
    shutil.copytree(trained_tiny["result"].export_path, root / "1")
    return root


def test_update_publishes_a_good_candidate_then_rollback_restores(served, trained_tiny, tmp_path):
    new = write_csv(tmp_path / "new.csv", ["text", "label"], sentiment_rows(48, 7))
    decision = update_model(served, str(new), margin=0.05, holdout=str(trained_tiny["files"]["test"]),
                            overrides=FAST, verbose=0)
    assert decision.published and decision.version == 2, decision.summary()
    assert existing_versions(served) == [1, 2]
    assert decision.candidate_score >= decision.serving_score - 0.05
    assert json.loads((Path(decision.run_dir) / "update.json").read_text())["published"] is True
    config = json.loads((served / "2" / "assets.extra" / "tfft.json").read_text())["config"]
    assert config["data"]["replay"] == str(trained_tiny["files"]["train"]) and config["model"]["init_from"]
    assert rollback(served) == (2, 1)
    assert existing_versions(served) == [1] and retired_versions(served) == [2]
    assert next_version(served) == 3  # a rolled-back number is never reused


def test_update_refuses_a_candidate_trained_on_flipped_labels(served, trained_tiny, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", ["text", "label"], flipped(sentiment_rows(96, 9)))
    before = sorted(p.name for p in served.iterdir())
    decision = update_model(served, str(bad), margin=0.01, replay_ratio=0.0,
                            holdout=str(trained_tiny["files"]["test"]),
                            overrides=FAST + ["training.epochs=4"], verbose=0)
    assert not decision.published and decision.version is None, decision.summary()
    assert decision.candidate_score < decision.serving_score - 0.3
    assert sorted(p.name for p in served.iterdir()) == before  # nothing served changed
    assert Path(decision.candidate, "saved_model.pb").is_file()  # kept for inspection


def test_rollback_needs_an_earlier_version(served):
    with pytest.raises(ValueError, match="earlier"):
        rollback(served)
