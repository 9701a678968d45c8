"""MultiWorkerMirroredStrategy with two worker processes on 127.0.0.1 (TF_CONFIG).

The run goes through `tfft launch`; a second test kills a worker mid-epoch and
checks the restarted job resumes at the last backup step without losing more.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import sentiment_rows, tiny_overrides, write_csv

from tfft.commands.launch import free_ports, tf_config, tfjob_manifest

ROOT = Path(__file__).resolve().parent.parent


def environment(tmp_path: Path) -> dict:
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    return {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(scratch)}


def set_arguments(overrides: list[str]) -> list[str]:
    return [part for override in overrides for part in ("--set", override)]


def data_files(tmp_path: Path, rows: int) -> dict:
    return {"train": write_csv(tmp_path / "data" / "train.csv", ["text", "label"], sentiment_rows(rows, 1)),
            "test": write_csv(tmp_path / "data" / "test.csv", ["text", "label"], sentiment_rows(24, 2))}


def test_two_workers_train_and_only_the_chief_writes(tmp_path):
    overrides = tiny_overrides(tmp_path, data_files(tmp_path, 160), **{"training.epochs": 2})
    env = environment(tmp_path)
    completed = subprocess.run(
        [sys.executable, "-m", "tfft.cli", "launch", "--workers", "2", "--log-dir", str(tmp_path / "logs"),
         "train", *set_arguments(overrides)], env=env, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:] + (tmp_path / "logs" / "worker-1.log").read_text()[-2000:]
    assert "this process is worker 0 (chief)" in completed.stderr
    assert "this process is worker 1" in (tmp_path / "logs" / "worker-1.log").read_text()
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["tiny"]  # no second run folder
    assert sorted(p.name for p in (tmp_path / "saved_models").iterdir()) == ["tiny"]
    metrics = json.loads((tmp_path / "runs" / "tiny" / "metrics.json").read_text())
    assert metrics["training"]["replicas"] == 2
    assert metrics["training"]["optimizer_steps"] == 2 * metrics["training"]["steps_per_epoch"]
    assert metrics["validation"]["after"]["accuracy"] >= 0.9
    assert not list((tmp_path / "tmp").glob("tfft-tiny-*"))  # worker 1's folder is cleaned up
    assert not (tmp_path / "runs" / "tiny" / "backup").exists()  # finished: resume state removed


SHARD_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np, tensorflow as tf
    sys.path.insert(0, sys.argv[1])
    from tfft.training.strategy import make_strategy
    from tfft.data.pipeline import EncodedSplit, training_dataset
    strategy = make_strategy("multi_worker")
    rows = 64
    lengths = np.arange(rows) % 7 + 2
    split = EncodedSplit(tf.RaggedTensor.from_row_lengths(np.ones(lengths.sum(), "int32"), lengths), None,
                         np.arange(rows, dtype="int32"), None)
    stream = strategy.experimental_distribute_dataset(training_dataset(split, 8, seed=3, group_batches=2))
    local = [strategy.experimental_local_results(targets)[0].numpy().tolist()
             for _, (features, targets) in zip(range(4), stream)]
    print(json.dumps(local))
""")


def test_each_worker_reads_its_half_of_every_global_batch(tmp_path):
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = [subprocess.Popen([sys.executable, "-c", SHARD_SCRIPT, str(ROOT)], text=True,
                                  env={**environment(tmp_path), "TF_CONFIG": tf_config(addresses, index)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for index in range(2)]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert all(p.returncode == 0 for p in processes), outputs[0][1][-2000:] + outputs[1][1][-2000:]
    first, second = (json.loads(out.strip().splitlines()[-1]) for out, _ in outputs)
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from tfft.data.pipeline import epoch_batches
    expected = epoch_batches(np.arange(64) % 7 + 2, 8, seed=3, epoch=0, group_batches=2)[:4]
    for batch, mine, theirs in zip(expected, first, second):
        assert len(mine) == len(theirs) == 4 and not set(mine) & set(theirs)
        assert sorted(mine + theirs) == sorted(batch.tolist())


def backup_step(run_dir: Path) -> int | None:
    state = run_dir / "backup" / "state.json"
    try:
        return json.loads(state.read_text())["step"]
    except (OSError, ValueError):
        return None


def test_killed_worker_job_resumes_from_the_last_backup(tmp_path):
    overrides = tiny_overrides(tmp_path, data_files(tmp_path, 1200), **{
        "training.epochs": 2, "training.backup_every_steps": 5, "training.evaluate_before": False,
        "export.enabled": False})
    env = environment(tmp_path)
    command = [sys.executable, "-m", "tfft.cli", "train", *set_arguments(overrides),
               "--set", "training.distribute=multi_worker"]
    addresses = [f"127.0.0.1:{port}" for port in free_ports(2)]
    workers = [subprocess.Popen(command, env={**env, "TF_CONFIG": tf_config(addresses, index)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for index in range(2)]
    run_dir = tmp_path / "runs" / "tiny"
    deadline = time.time() + 400
    while (backup_step(run_dir) or 0) < 15 and time.time() < deadline and workers[0].poll() is None:
        time.sleep(0.2)
    workers[1].send_signal(signal.SIGKILL)  # a worker dies mid-epoch ...
    time.sleep(3)
    workers[0].send_signal(signal.SIGKILL)  # ... and the job (as a launcher would) stops the chief
    for worker in workers:
        worker.wait(timeout=60)
    saved = backup_step(run_dir)
    assert saved is not None and saved >= 15, "no mid-run backup before the kill"
    assert not (run_dir / "DONE").exists()

    restarted = subprocess.run([sys.executable, "-m", "tfft.cli", "launch", "--workers", "2",
                                "--log-dir", str(tmp_path / "logs"), "train", *set_arguments(overrides)],
                               env=env, capture_output=True, text=True, timeout=600)
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    training = json.loads((run_dir / "metrics.json").read_text())["training"]
    total = 2 * training["steps_per_epoch"]
    assert saved < total
    assert training["resumed"] and training["resumed_at_step"] == saved  # lost only the steps since
    assert training["optimizer_steps"] == total  # and repeated none


def test_tfjob_manifest_runs_the_job_on_every_worker():
    import yaml

    job = yaml.safe_load(tfjob_manifest(["train", "--config", "c.yaml"], 4, image="me/tfft:1", name="sst2"))
    worker = job["spec"]["tfReplicaSpecs"]["Worker"]
    assert job["kind"] == "TFJob" and worker["replicas"] == 4 and worker["restartPolicy"] == "OnFailure"
    container = worker["template"]["spec"]["containers"][0]
    assert container["command"] == ["tfft", "train", "--config", "c.yaml", "--set", "training.distribute=multi_worker"]
    assert container["volumeMounts"][0]["mountPath"] == container["workingDir"]  # runs/ on a shared volume
