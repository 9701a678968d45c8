"""``tfft deploy``: a TF Serving bundle (model configs, docker-compose, Kubernetes) for model folders.

Example:

>>> parse_labels(["intents:stable=1", "intents:canary=2"])
{'intents': {'stable': 1, 'canary': 2}}
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tfft.serving.bundle import DEPLOY_BATCHING, BundleOptions, write_bundle


def parse_labels(items: list[str]) -> dict[str, dict[str, int]]:
    """``MODEL:LABEL=VERSION`` items (``--label``) as {model: {label: version}}."""
    labels: dict[str, dict[str, int]] = {}
    for item in items:
        model, _, rest = item.partition(":")
        label, _, version = rest.partition("=")
        if not (model and label and version.isdigit()):
            raise ValueError(f"--label '{item}' must look like MODEL:LABEL=VERSION, e.g. intents:stable=3")
        labels.setdefault(model, {})[label] = int(version)
    return labels


def run(args) -> int:
    options = BundleOptions(keep_versions=args.keep_versions, labels=parse_labels(args.label),
                            batching=dataclasses.replace(DEPLOY_BATCHING, max_batch_size=args.max_batch_size,
                                                         batch_timeout_micros=args.batch_timeout_micros),
                            replicas=args.replicas, max_replicas=args.max_replicas, image=args.image,
                            models_claim=args.models_claim)
    for path in write_bundle([Path(m) for m in args.models], Path(args.out), options):
        print(path)
    print(f"run it: cd {args.out} && docker compose up   (or kubectl apply -f {args.out}/k8s/)")
    return 0
