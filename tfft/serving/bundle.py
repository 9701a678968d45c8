"""``tfft deploy``: the files that run exported models on TF Serving, in Docker or Kubernetes.

Writes, into a new folder:

- ``config/models.config``: ModelServerConfig (version policy, labels such as stable/canary)
- ``config/batching_parameters.txt``: BatchingParameters for ``--enable_batching``
- ``config/monitoring.config``: MonitoringConfig exposing Prometheus metrics
- ``docker-compose.yml``: ``tensorflow/serving`` pinned to the TensorFlow that wrote the exports
- ``k8s/``: ConfigMap, Deployment (readiness probe on the model status endpoint), Service,
  HorizontalPodAutoscaler

All three configs are TF Serving text-format protos, written with its own messages.

Example:

>>> write_bundle([Path("saved_models/intents")], Path("deploy"),
...              BundleOptions(labels={"intents": {"stable": 1, "canary": 2}}))
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from tensorflow.core.protobuf import saved_model_pb2

from tfft.export.versions import existing_versions
from tfft.serving.batching import BatchingOptions
from tfft.serving.config_protos import ModelServerConfig, MonitoringConfig, write_text_proto
from tfft.serving.metrics import PROMETHEUS_PATH

CONFIG_MOUNT = "/config"
MODELS_MOUNT = "/models"
REST_PORT, GRPC_PORT = 8501, 8500
# TF Serving's C++ batch threads each run a whole batch; 4 suits the 2-CPU pods below.
DEPLOY_BATCHING = BatchingOptions(num_batch_threads=4)


@dataclass
class BundleOptions:
    keep_versions: int = 2
    labels: dict[str, dict[str, int]] = field(default_factory=dict)  # model -> label -> version
    batching: BatchingOptions = field(default_factory=lambda: dataclasses.replace(DEPLOY_BATCHING))
    replicas: int = 2
    max_replicas: int = 8
    target_cpu_percent: int = 70
    cpu: str = "2"
    memory: str = "4Gi"
    models_claim: str = "tfft-models"
    name: str = "tfft-serving"
    image: str | None = None  # default: tensorflow/serving:<TF version of the exports>


def model_server_config(model_roots: list[Path], options: BundleOptions) -> ModelServerConfig:
    """Each model under ``/models/<name>``; labelled models serve exactly their labelled versions."""
    config = ModelServerConfig()
    for root in model_roots:
        model = config.model_config_list.config.add(name=root.name, base_path=f"{MODELS_MOUNT}/{root.name}",
                                                     model_platform="tensorflow")
        labels = options.labels.get(root.name, {})
        if labels:
            # TF Serving only assigns a label to a version it has loaded.
            model.model_version_policy.specific.versions.extend(sorted(set(labels.values())))
            for label, version in sorted(labels.items()):
                model.version_labels[label] = version
        else:
            model.model_version_policy.latest.num_versions = options.keep_versions
    return config


def monitoring_config() -> MonitoringConfig:
    config = MonitoringConfig()
    config.prometheus_config.enable = True
    config.prometheus_config.path = PROMETHEUS_PATH
    return config


def export_tensorflow_version(model_root: Path) -> str:
    """The TensorFlow version recorded in the newest export's saved_model.pb."""
    versions = existing_versions(model_root)
    if not versions:
        raise FileNotFoundError(f"{model_root} has no integer version folders; export a model first")
    saved = saved_model_pb2.SavedModel.FromString((model_root / str(versions[-1]) / "saved_model.pb").read_bytes())
    return saved.meta_graphs[0].meta_info_def.tensorflow_version


def server_arguments(options: BundleOptions) -> list[str]:
    return [f"--port={GRPC_PORT}", f"--rest_api_port={REST_PORT}",
            f"--model_config_file={CONFIG_MOUNT}/models.config",
            "--model_config_file_poll_wait_seconds=60",  # label moves apply without a restart
            "--file_system_poll_wait_seconds=5",
            "--enable_batching=true", f"--batching_parameters_file={CONFIG_MOUNT}/batching_parameters.txt",
            f"--monitoring_config_file={CONFIG_MOUNT}/monitoring.config"]


def docker_compose(model_roots: list[Path], out: Path, image: str, options: BundleOptions) -> dict:
    volumes = [f"./config:{CONFIG_MOUNT}:ro"]
    volumes += [f"{os.path.relpath(root.resolve(), out.resolve())}:{MODELS_MOUNT}/{root.name}:ro" for root in model_roots]
    return {"services": {options.name: {
        "image": image,
        "command": server_arguments(options),
        "ports": [f"{GRPC_PORT}:{GRPC_PORT}", f"{REST_PORT}:{REST_PORT}"],
        "volumes": volumes,
        "restart": "unless-stopped",
        # The serving image has bash but no curl: ask the status endpoint over bash's /dev/tcp.
        "healthcheck": {"test": ["CMD", "bash", "-c", _status_probe(model_roots[0].name)],
                        "interval": "10s", "timeout": "5s", "retries": 6},
    }}}


def _status_probe(model: str) -> str:
    return (f"exec 3<>/dev/tcp/127.0.0.1/{REST_PORT} && "
            f"printf 'GET /v1/models/{model} HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q AVAILABLE <&3")


def kubernetes_manifests(model_roots: list[Path], configs: dict[str, str], image: str,
                         options: BundleOptions) -> dict[str, dict]:
    labels = {"app": options.name}
    metadata = {"name": options.name, "labels": labels}
    container = {
        "name": "tensorflow-serving", "image": image, "args": server_arguments(options),
        "ports": [{"name": "grpc", "containerPort": GRPC_PORT}, {"name": "http", "containerPort": REST_PORT}],
        "resources": {"requests": {"cpu": options.cpu, "memory": options.memory},
                      "limits": {"cpu": options.cpu, "memory": options.memory}},
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_MOUNT, "readOnly": True},
                         {"name": "models", "mountPath": MODELS_MOUNT, "readOnly": True}],
        # Ready only once the first model reports AVAILABLE (the status endpoint 404s before).
        "readinessProbe": {"httpGet": {"path": f"/v1/models/{model_roots[0].name}", "port": REST_PORT},
                           "initialDelaySeconds": 5, "periodSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {"tcpSocket": {"port": GRPC_PORT}, "initialDelaySeconds": 30, "periodSeconds": 15},
    }
    return {
        "configmap.yaml": {"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": f"{options.name}-config", "labels": labels}, "data": configs},
        "deployment.yaml": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": {
            "replicas": options.replicas, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels, "annotations": {
                "prometheus.io/scrape": "true", "prometheus.io/port": str(REST_PORT),
                "prometheus.io/path": PROMETHEUS_PATH}},
                "spec": {"containers": [container], "volumes": [
                    {"name": "config", "configMap": {"name": f"{options.name}-config"}},
                    {"name": "models", "persistentVolumeClaim": {"claimName": options.models_claim,
                                                                 "readOnly": True}}]}}}},
        "service.yaml": {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": {
            "selector": labels, "ports": [{"name": "grpc", "port": GRPC_PORT, "targetPort": GRPC_PORT},
                                          {"name": "http", "port": REST_PORT, "targetPort": REST_PORT}]}},
        "hpa.yaml": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": metadata,
                     "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": options.name},
                              "minReplicas": options.replicas, "maxReplicas": options.max_replicas,
                              "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                  "type": "Utilization", "averageUtilization": options.target_cpu_percent}}}]}},
    }


def _check_labels(model_roots: list[Path], options: BundleOptions) -> None:
    names = {root.name for root in model_roots}
    for model, labels in options.labels.items():
        if model not in names:
            raise ValueError(f"--label names model '{model}', which is not among {sorted(names)}")
        root = next(r for r in model_roots if r.name == model)
        missing = {label: v for label, v in labels.items() if v not in existing_versions(root)}
        if missing:
            raise ValueError(f"labels {missing} point at versions {root} does not have "
                             f"(it has {existing_versions(root)})")


def write_bundle(model_roots: list[Path], out: Path, options: BundleOptions | None = None) -> list[Path]:
    """Writes the bundle into ``out`` (which must not exist or be empty); returns the files written."""
    options = options or BundleOptions()
    model_roots = [Path(root) for root in model_roots]
    if len({root.name for root in model_roots}) != len(model_roots):
        raise ValueError(f"model folder names must differ (they are the served names): {model_roots}")
    _check_labels(model_roots, options)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} already has files; bundles are never written over. Choose a new --out")
    image = options.image or f"tensorflow/serving:{export_tensorflow_version(model_roots[0])}"
    (out / "config").mkdir(parents=True, exist_ok=True)
    written = [write_text_proto(out / "config" / "models.config", model_server_config(model_roots, options)),
               write_text_proto(out / "config" / "batching_parameters.txt", options.batching.to_proto()),
               write_text_proto(out / "config" / "monitoring.config", monitoring_config())]
    configs = {path.name: path.read_text(encoding="utf-8") for path in written}
    written.append(_write_yaml(out / "docker-compose.yml", docker_compose(model_roots, out, image, options)))
    (out / "k8s").mkdir()
    for name, manifest in kubernetes_manifests(model_roots, configs, image, options).items():
        written.append(_write_yaml(out / "k8s" / name, manifest))
    return written


def _write_yaml(path: Path, document: dict) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=120), encoding="utf-8")
    return path
