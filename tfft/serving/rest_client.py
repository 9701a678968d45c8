"""A client for TF Serving's REST API, with timeouts and retries.

Retries (with exponential back-off) cover refused connections and 502/503/504,
which a model server restarting or loading a version answers; a 4xx is the
request's fault and is raised at once as a ServingError.

Example:

>>> client = RestClient("http://127.0.0.1:8501", "intents", timeout=5, retries=3)
>>> client.predict({"text": ["where is my parcel?"]})["label"]
array(['delivery'], dtype=object)
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

import numpy as np

from tfft.serving.errors import ServingError


class RestClient:
    """Predict, status and metadata calls to ``<url>/v1/models/<model>``."""

    def __init__(self, url: str, model: str, version: int | None = None, label: str | None = None,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.2):
        if version is not None and label:
            raise ValueError("name a version or a label, not both")
        scope = f"/versions/{version}" if version is not None else f"/labels/{label}" if label else ""
        self.base = f"{url.rstrip('/')}/v1/models/{model}{scope}"
        self.model, self.timeout = model, timeout
        self.session = requests.Session()
        retry = Retry(total=retries, connect=retries, read=0, status=retries, backoff_factor=backoff,
                      status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET", "POST"}),
                      raise_on_status=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))

    def _call(self, method: str, url: str, **kwargs) -> dict:
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout as error:
            raise ServingError("DEADLINE_EXCEEDED", f"{url}: no answer within {self.timeout}s") from error
        except requests.ConnectionError as error:
            raise ServingError("UNAVAILABLE", f"{url}: cannot connect ({error})") from error
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text[:200]}
        if response.status_code != 200:
            raise ServingError.from_http(response.status_code, body.get("error", str(body)))
        return body

    def predict(self, inputs: dict[str, list], signature: str = "serving_default") -> dict[str, np.ndarray]:
        """Columnar request; one numpy array per output (strings as str)."""
        body = self._call("POST", f"{self.base}:predict",
                          json={"signature_name": signature, "inputs": inputs})
        outputs = body["outputs"]
        if not isinstance(outputs, dict):  # TF Serving unwraps a lone output
            outputs = {self._only_output(signature): outputs}
        return {name: np.array(value, dtype=object if _is_text(value) else None) for name, value in outputs.items()}

    def _only_output(self, signature: str) -> str:
        return next(iter(self._signature_def(signature)["outputs"]))

    def _signature_def(self, signature: str) -> dict:
        return self.metadata()["metadata"]["signature_def"]["signature_def"][signature]

    def status(self) -> dict:
        return self._call("GET", self.base)

    def metadata(self) -> dict:
        return self._call("GET", f"{self.base}/metadata")

    def input_names(self, signature: str = "serving_default") -> list[str]:
        return list(self._signature_def(signature)["inputs"])


def _is_text(value) -> bool:
    while isinstance(value, list) and value:
        value = value[0]
    return isinstance(value, str)
