"""Pick the client a server URL calls for: ``http(s)://`` is REST, ``grpc://`` is gRPC.

Example:

>>> client = connect("grpc://127.0.0.1:8500", "intents", timeout=5)
>>> client.predict({"text": ["hello"]})
"""

from __future__ import annotations

from tfft.serving.grpc_client import GrpcClient
from tfft.serving.rest_client import RestClient


def connect(url: str, model: str, **options) -> RestClient | GrpcClient:
    if url.startswith(("http://", "https://")):
        return RestClient(url, model, **options)
    if url.startswith("grpc://"):
        return GrpcClient(url[len("grpc://"):], model, **options)
    raise ValueError(f"server URL '{url}' must start with http:// (REST, port 8501) or grpc:// (gRPC, port 8500)")
