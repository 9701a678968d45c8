"""The tfft command line on a tiny run: train, predict, evaluate, export, info, errors."""

import json

from tfft.cli import main

from conftest import tiny_overrides, write_csv


def test_train_prints_where_everything_is(tmp_path, sentiment_files, capsys):
    overrides = tiny_overrides(tmp_path, sentiment_files, **{"training.epochs": 1})
    code = main(["train", *sum((["--set", o] for o in overrides), [])])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0
    assert "epoch 1/1  step " in captured.err and " rows/s  elapsed " in captured.err  # not a terminal: lines
    assert "tensorboard --logdir" in out and str(tmp_path / "runs" / "tiny" / "logs") in out
    assert "tfft predict" in out and str(tmp_path / "saved_models" / "tiny" / "1") in out
    assert "validation accuracy:" in out and "->" in out


def test_predict_strings_and_file(trained_tiny, tmp_path, capsys):
    export = str(trained_tiny["result"].export_path.parent)
    assert main(["predict", export, "the camera was excellent", "the book was horrible"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [row["label"] for row in rows] == ["positive", "negative"]
    assert len(rows[0]["probabilities"]) == 2
    source = write_csv(tmp_path / "in.csv", ["review"], [["the hotel was superb"]])
    output = tmp_path / "out.jsonl"
    assert main(["predict", export, "--file", str(source), "--text-column", "review", "--output", str(output)]) == 0
    assert json.loads(output.read_text().splitlines()[0])["text"] == "the hotel was superb"


def test_evaluate_export_and_run_agree(trained_tiny, tmp_path, capsys):
    data = str(trained_tiny["files"]["test"])
    out_export, out_run = tmp_path / "e.json", tmp_path / "r.json"
    assert main(["evaluate", "--export", str(trained_tiny["result"].export_path), "--data", data,
                 "--output", str(out_export)]) == 0
    assert main(["evaluate", "--run", str(trained_tiny["result"].run_dir), "--data", data,
                 "--output", str(out_run)]) == 0
    by_export, by_run = json.loads(out_export.read_text()), json.loads(out_run.read_text())
    assert by_export["accuracy"] == by_run["accuracy"] == trained_tiny["result"].metrics["test"]["accuracy"]
    assert "precision" in capsys.readouterr().out


def test_evaluate_perturbed_texts_for_a_robustness_check(trained_tiny, tmp_path, capsys):
    """Typos on every word of the label-deciding sentences cost accuracy; the run and export agree."""
    data = str(trained_tiny["files"]["test"])
    outputs = {}
    for source in ("--export", "--run"):
        target = tmp_path / f"{source[2:]}.json"
        path = trained_tiny["result"].export_path if source == "--export" else trained_tiny["result"].run_dir
        assert main(["evaluate", source, str(path), "--data", data, "--perturb", "typo", "--perturb-rate", "1.0",
                     "--output", str(target)]) == 0
        outputs[source] = json.loads(target.read_text())["accuracy"]
    assert "perturbing texts: typo, rate 1.0" in capsys.readouterr().err
    assert outputs["--export"] == outputs["--run"] < trained_tiny["result"].metrics["test"]["accuracy"]


def test_evaluate_bad_file_names_file_line_and_column(trained_tiny, tmp_path, capsys):
    bad = write_csv(tmp_path / "bad.csv", ["text", "label"], [["fine", "positive"], ["odd", "neutral"]])
    code = main(["evaluate", "--export", str(trained_tiny["result"].export_path), "--data", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}, line 3, column 'label': label 'neutral' never appears" in err


def test_export_command_writes_next_version(trained_tiny, tmp_path, capsys):
    target = tmp_path / "exports"
    assert main(["export", "--run", str(trained_tiny["result"].run_dir), "--dir", str(target)]) == 0
    assert main(["export", "--run", str(trained_tiny["result"].run_dir), "--dir", str(target)]) == 0
    assert sorted(p.name for p in (target / "tiny").iterdir()) == ["1", "2"]
    assert (target / "tiny" / "2" / "assets.extra" / "tf_serving_warmup_requests").is_file()


def test_info_describes_export_and_environment(trained_tiny, capsys):
    assert main(["info", str(trained_tiny["result"].export_path)]) == 0
    out = capsys.readouterr().out
    assert "serving_default inputs: ['text']" in out and "probabilities float32" in out
    assert main(["info"]) == 0
    assert "keras-hub" in capsys.readouterr().out


def test_train_with_bad_data_exits_with_clear_error(tmp_path, capsys):
    train_file = write_csv(tmp_path / "t.csv", ["text", "label"], [["ok", "a"], ["", "b"]])
    code = main(["train", "--set", f"data.train={train_file}", "--set", f"output_dir={tmp_path / 'runs'}",
                 "--set", "model.backbone=scratch:tiny"])
    assert code == 2
    assert f"{train_file}, line 3, column 'text': value is empty" in capsys.readouterr().err


def test_skip_bad_rows_trains_and_lists_the_lines(tmp_path, capsys):
    from conftest import sentiment_rows

    rows = sentiment_rows(40, 3)
    rows.insert(5, ("", "positive"))
    rows.insert(9, ("the book was fine", ""))
    train_file = write_csv(tmp_path / "t.csv", ["text", "label"], rows)
    files = {"train": train_file, "test": write_csv(tmp_path / "e.csv", ["text", "label"], sentiment_rows(8, 4))}
    overrides = tiny_overrides(tmp_path, files, **{"training.epochs": 1, "export.enabled": False})
    code = main(["train", "--skip-bad-rows", *sum((["--set", o] for o in overrides), [])])
    assert code == 0
    report = (tmp_path / "runs" / "tiny" / "skipped_rows.txt").read_text()
    assert f"{train_file}: skipped 2 bad row(s) at line(s) 7, 11" in report
    assert "column 'label': value is missing" in report or "column 'label': value is empty" in report
    assert "skipped 2 bad row(s)" in capsys.readouterr().err


def test_python_dash_m_tfft_is_the_command_line():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    shown = subprocess.run([sys.executable, "-m", "tfft", "--help"], cwd=root, capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0 and "train" in shown.stdout and "serve" in shown.stdout
    refused = subprocess.run([sys.executable, "-m", "tfft", "train", "--set", "training.epochs=abc"], cwd=root,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2
    assert "training.epochs='abc' is not allowed: expected an int" in refused.stderr
