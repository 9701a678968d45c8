"""Start a multi-worker run: local processes on this machine, or manifests for a cluster.

MultiWorkerMirroredStrategy reads the cluster and this process's place in it
from ``TF_CONFIG``. `launch_local` starts N ``tfft train`` (or ``pretrain``)
processes on 127.0.0.1 with free ports, streams the chief's output, keeps the
others' in log files, and stops them all when one fails (the rest would wait
on it forever). `tfjob_manifest` writes the same job as a Kubeflow TFJob,
whose operator sets ``TF_CONFIG`` in each pod; the run folder must be on a
volume every pod shares, so workers resume from the chief's backup.

Example:

>>> launch_local(["train", "--config", "configs/sst2.yaml"], workers=2)
0
>>> print(tfjob_manifest(["train", "--config", "configs/sst2.yaml"], 4, image="me/tfft:1", name="sst2"))
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

MULTI_WORKER = ["--set", "training.distribute=multi_worker"]


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


def tf_config(addresses: list[str], index: int) -> str:
    """``TF_CONFIG`` for worker ``index`` of a cluster of ``addresses`` (worker 0 is the chief)."""
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})


def launch_local(command: list[str], workers: int, log_dir: Path | None = None,
                 poll_seconds: float = 0.5) -> int:
    """Runs ``tfft <command>`` as ``workers`` local processes; the first non-zero exit code, or 0."""
    if workers < 1:
        raise ValueError(f"--workers must be >= 1, got {workers}")
    addresses = [f"127.0.0.1:{port}" for port in free_ports(workers)]
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="tfft-launch-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    processes = [_start(command, addresses, index, log_dir) for index in range(workers)]
    print(f"launched {workers} workers on {', '.join(addresses)}; worker logs in {log_dir}",
          file=sys.stderr, flush=True)
    try:
        return _wait(processes, log_dir, poll_seconds)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _start(command: list[str], addresses: list[str], index: int, log_dir: Path) -> subprocess.Popen:
    # The workers import this same tfft, installed or not.
    path = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "TF_CONFIG": tf_config(addresses, index), "PYTHONPATH": path}
    argv = [sys.executable, "-m", "tfft.cli", *command, *MULTI_WORKER]
    if index == 0:  # the chief speaks for the job
        return subprocess.Popen(argv, env=env)
    log = open(log_dir / f"worker-{index}.log", "w", encoding="utf-8")
    return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait(processes: list[subprocess.Popen], log_dir: Path, poll_seconds: float) -> int:
    while True:
        codes = [process.poll() for process in processes]
        failed = [(index, code) for index, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            index, code = failed[0]
            where = "the chief" if index == 0 else f"worker {index} (see {log_dir}/worker-{index}.log)"
            print(f"tfft launch: {where} exited with {code}; stopping the other workers. "
                  f"Run the same command again to resume from the last backup", file=sys.stderr)
            return code
        if all(code == 0 for code in codes):
            return 0
        time.sleep(poll_seconds)


def tfjob_manifest(command: list[str], workers: int, image: str, name: str,
                   volume_claim: str = "tfft-runs", mount: str = "/workspace") -> str:
    """A Kubeflow TFJob running ``tfft <command>`` on ``workers`` pods sharing one volume."""
    container = {
        "name": "tensorflow", "image": image, "workingDir": mount,
        "command": ["tfft", *command, *MULTI_WORKER],
        "volumeMounts": [{"name": "runs", "mountPath": mount}],
    }
    template = {"spec": {"containers": [container],
                         "volumes": [{"name": "runs", "persistentVolumeClaim": {"claimName": volume_claim}}]}}
    job = {
        "apiVersion": "kubeflow.org/v1", "kind": "TFJob",
        "metadata": {"name": name},
        "spec": {
            "runPolicy": {"cleanPodPolicy": "None", "backoffLimit": 3},
            # OnFailure restarts a failed pod; every worker then resumes from the chief's backup.
            "tfReplicaSpecs": {"Worker": {"replicas": workers, "restartPolicy": "OnFailure",
                                          "template": template}},
        },
    }
    return yaml.safe_dump(job, sort_keys=False)


def run(args) -> int:
    if not args.job or args.job[0] not in ("train", "pretrain"):
        raise ValueError("tfft launch needs the job to run, e.g. `tfft launch --workers 2 train --config C`")
    if args.emit:
        if not args.image:
            raise ValueError("tfft launch --emit k8s needs --image (a container image with tfft installed)")
        print(tfjob_manifest(args.job, args.workers, args.image, args.name, args.volume_claim), end="")
        return 0
    return launch_local(args.job, args.workers, args.log_dir)
