"""One error type for the server and the clients, carrying a gRPC status code name.

TF Serving reports failures as gRPC codes; its REST API maps them to HTTP
statuses and a ``{"error": "..."}`` body. Both front-ends and both clients use
this one mapping.

Example:

>>> raise ServingError("NOT_FOUND", "Servable not found for request: Latest(intents)")
"""

from __future__ import annotations

import grpc

HTTP_STATUS = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "NOT_FOUND": 404,
    "UNIMPLEMENTED": 501,
    "RESOURCE_EXHAUSTED": 413,  # a request over the size limit
    "DEADLINE_EXCEEDED": 504,
    "UNAVAILABLE": 503,
    "INTERNAL": 500,
    "UNKNOWN": 500,
}


class ServingError(Exception):
    """A request failed with ``code`` (a gRPC status code name such as ``INVALID_ARGUMENT``)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code if code in HTTP_STATUS else "UNKNOWN"
        self.message = message

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    @property
    def grpc_code(self) -> grpc.StatusCode:
        return grpc.StatusCode[self.code]

    @classmethod
    def from_http(cls, status: int, message: str) -> "ServingError":
        code = next((name for name, number in HTTP_STATUS.items() if number == status), "UNKNOWN")
        return cls(code, message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def invalid(message: str) -> ServingError:
    return ServingError("INVALID_ARGUMENT", message)


def not_found(message: str) -> ServingError:
    return ServingError("NOT_FOUND", message)
