"""Which model versions are loaded: TF Serving's version policy over integer folders.

Reads the same ``ModelServerConfig`` TF Serving does (``models.config``), loads
new version folders as they appear, unloads the ones the policy drops, and
resolves a request's version or label. Polling runs in a background thread.

Example:

>>> registry = ModelRegistry(config_for_paths([Path("saved_models/intents")], keep_versions=2))
>>> registry.refresh()
>>> registry.resolve("intents").version
3
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tensorflow_serving.config import model_server_config_pb2

from tfft.export.versions import existing_versions
from tfft.serving.errors import not_found
from tfft.serving.servable import Servable

logger = logging.getLogger("tfft.serving")


def config_for_paths(paths: list[Path], keep_versions: int = 1,
                     names: list[str] | None = None) -> model_server_config_pb2.ModelServerConfig:
    """A ModelServerConfig serving each folder under ``names`` (default: its folder name), latest ``keep_versions``."""
    config = model_server_config_pb2.ModelServerConfig()
    for path, name in zip(paths, names or [Path(path).name for path in paths]):
        model = config.model_config_list.config.add(name=name, base_path=str(Path(path).resolve()),
                                                     model_platform="tensorflow")
        model.model_version_policy.latest.num_versions = keep_versions
    return config


def wanted_versions(model: model_server_config_pb2.ModelConfig, available: list[int]) -> list[int]:
    """The versions TF Serving's policy would serve from ``available`` (sorted)."""
    policy = model.model_version_policy
    kind = policy.WhichOneof("policy_choice")
    if kind == "all":
        return list(available)
    if kind == "specific":
        return sorted(set(policy.specific.versions) & set(available))
    keep = policy.latest.num_versions if kind == "latest" and policy.latest.num_versions else 1
    return list(available[-keep:])


@dataclass
class ModelState:
    config: model_server_config_pb2.ModelConfig
    loaded: dict[int, Servable] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


class ModelRegistry:
    """Loaded versions per model, kept in line with the folders by ``refresh``."""

    def __init__(self, config: model_server_config_pb2.ModelServerConfig):
        models = config.model_config_list.config
        if not models:
            raise ValueError("the model server config lists no models")
        self.models = {model.name: ModelState(model) for model in models}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_change = lambda name, versions: None  # called after each refresh of a model

    def refresh(self) -> None:
        """Loads versions the policy wants and unloads the rest (one pass over every model)."""
        for name, state in self.models.items():
            wanted = wanted_versions(state.config, existing_versions(Path(state.config.base_path)))
            for version in wanted:
                if version not in state.loaded and version not in state.failed:
                    self._load(name, state, version)
            with self._lock:
                dropped = [v for v in state.loaded if v not in wanted]
                for version in dropped:
                    del state.loaded[version]
            if dropped:
                logger.info("unloaded %s versions %s", name, dropped)
            self.on_change(name, sorted(state.loaded))

    def _load(self, name: str, state: ModelState, version: int) -> None:
        path = Path(state.config.base_path) / str(version)
        try:
            servable = Servable.load(name, version, path)
        except Exception as error:  # a broken folder must not stop the others from serving
            state.failed[version] = f"{type(error).__name__}: {error}"
            logger.error("could not load %s: %s", path, state.failed[version])
            return
        with self._lock:
            state.loaded[version] = servable
        logger.info("loaded %s version %d from %s", name, version, path)

    def resolve(self, name: str, version: int | None = None, label: str | None = None) -> Servable:
        """The servable a request names: a version, a label, or (neither) the newest loaded."""
        state = self.models.get(name)
        if state is None:
            raise not_found(f"Servable not found for request: Latest({name}); "
                            f"this server has {sorted(self.models)}")
        if label:
            if label not in state.config.version_labels:
                raise not_found(f"Unrecognized servable version label: {label} (model {name})")
            version = state.config.version_labels[label]
        with self._lock:
            if version is None:
                if not state.loaded:
                    raise not_found(f"Servable not found for request: Latest({name}); no version is loaded")
                return state.loaded[max(state.loaded)]
            if version not in state.loaded:
                raise not_found(f"Servable not found for request: Specific({name}, {version}); "
                                f"loaded versions are {sorted(state.loaded)}")
            return state.loaded[version]

    def status(self, name: str) -> list[tuple[int, str, str]]:
        """(version, state, error message) rows as TF Serving's status endpoint lists them."""
        state = self.models.get(name)
        if state is None:
            raise not_found(f"Could not find any versions of model {name}")
        with self._lock:
            rows = [(v, "AVAILABLE", "") for v in state.loaded]
        rows += [(v, "END", message) for v, message in state.failed.items()]
        return sorted(rows, reverse=True)

    def start(self, poll_seconds: float = 1.0) -> None:
        """Refreshes now, then every ``poll_seconds`` in a daemon thread."""
        self.refresh()
        self._thread = threading.Thread(target=self._poll, args=(poll_seconds,), name="tfft-version-poll",
                                        daemon=True)
        self._thread.start()

    def _poll(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                self.refresh()
            except Exception:  # keep serving what is loaded; the next poll tries again
                logger.exception("version poll failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
