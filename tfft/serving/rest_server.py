"""TF Serving's REST API over HTTP (``/v1/models/...``), served by the standard library.

Routes, as TF Serving has them:

- ``POST /v1/models/<name>[/versions/<v>|/labels/<l>]:predict``
- ``GET  /v1/models/<name>[/versions/<v>|/labels/<l>]`` (status)
- ``GET  /v1/models/<name>[/versions/<v>|/labels/<l>]/metadata``
- ``GET  /monitoring/prometheus/metrics``

Every failure is ``{"error": "..."}`` with a 4xx status when the request was at
fault. Bodies larger than ``max_request_bytes`` are refused unread (413).

Example:

>>> server = RestServer(service, host="127.0.0.1", port=8501)
>>> server.start()
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format

from tfft.serving.errors import ServingError, invalid, not_found
from tfft.serving.metrics import CONTENT_TYPE, PROMETHEUS_PATH
from tfft.serving.rest_format import format_predictions, parse_predict_body
from tfft.serving.prediction_service import ModelService

ROUTE = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)"
    r"(?:/versions/(?P<version>[0-9]+)|/labels/(?P<label>[^/:]+))?"
    r"(?::(?P<verb>[a-zA-Z]+)|/(?P<metadata>metadata))?$"
)
DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    server_version = "tfft-serve"
    protocol_version = "HTTP/1.1"  # keep-alive, as load balancers and clients expect
    timeout = 30  # seconds a client may take to send its request
    # Headers and body leave in two writes; with Nagle's algorithm on, the body waits for
    # the client's delayed ACK of the headers (up to 40 ms on Linux) on every kept-alive response.
    disable_nagle_algorithm = True
    service: ModelService
    max_request_bytes: int

    def log_message(self, format, *args):  # access logs would dominate a load test; metrics count instead
        pass

    def do_GET(self):
        if self.path == PROMETHEUS_PATH:
            return self._send(200, self.service.metrics.exposition(), CONTENT_TYPE)
        self._answer("GET", self._status_or_metadata)

    def do_POST(self):
        self._answer("POST", self._predict)

    def send_error(self, code, message=None, explain=None):
        """The standard library's own refusals (bad request line, unknown method), as JSON 4xx.

        It answers an unknown method with 501 and an unknown HTTP version with
        505; both are the client's fault, so they become 405 and 400.
        """
        status = {501: 405, 505: 400}.get(int(code), int(code))
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # unparsed request line: answer with a status line anyway
            self.request_version = "HTTP/1.0"
        self._send_error(status, message or explain or "bad request")

    def _method_not_allowed(self):
        self.close_connection = True
        self._send_error(405, f"{self.command} is not served; use GET (status, metadata) or POST (:predict)")

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _method_not_allowed

    def _answer(self, method: str, handle) -> None:
        self._body_read = False
        route = ROUTE.match(self.path.split("?")[0])
        with self.service.metrics.timed(self.service.metric_label(route and route["name"]), "rest",
                                        method) as outcome:
            try:
                if route is None:
                    raise not_found(f"Malformed request: {method} {self.path}")
                version = int(route["version"]) if route["version"] else None
                body = handle(route, version)
                outcome.status = "OK"
                self._send(200, json.dumps(body).encode("utf-8"))
            except ServingError as error:
                outcome.status = error.code
                self._fail(error.http_status, error.message)
            except Exception as error:  # a bug of ours: 500, and the server keeps serving
                outcome.status = "INTERNAL"
                self._fail(500, f"{type(error).__name__}: {error}")

    def _fail(self, status: int, message: str) -> None:
        if self.command == "POST" and not self._body_read:
            self.close_connection = True  # an unread body must not be taken for the next request
        self._send_error(status, message)

    def _predict(self, route, version):
        if route["metadata"] or route["verb"] != "predict":
            raise invalid(f"POST {self.path}: this server answers ':predict' only (tfft exports have "
                          f"no classify/regress signatures)")
        body = self._read_body()
        servable = self.service.registry.resolve(route["name"], version, route["label"])
        request = parse_predict_body(body, lambda name: sorted(servable.signature(name).inputs))
        _, outputs = self.service.predict(route["name"], servable.version, None, request.signature_name,
                                          request.inputs)
        return format_predictions(outputs, request.row_format)

    def _status_or_metadata(self, route, version):
        if route["verb"]:
            raise not_found(f"GET {self.path}: verbs are POSTed")
        if route["metadata"]:
            servable = self.service.registry.resolve(route["name"], version, route["label"])
            return metadata_json(servable)
        if route["label"]:
            version = self.service.registry.resolve(route["name"], None, route["label"]).version
        rows = [row for row in self.service.registry.status(route["name"]) if version in (None, row[0])]
        if not rows:
            raise not_found(f"Could not find version {version} of model {route['name']}")
        return {"model_version_status": [
            {"version": str(v), "state": state,
             "status": {"error_code": "OK" if not message else "UNKNOWN", "error_message": message}}
            for v, state, message in rows]}

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ServingError("INVALID_ARGUMENT", "chunked bodies are not accepted; send Content-Length")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise invalid("the request needs a Content-Length header") from None
        if length < 0:
            raise invalid("Content-Length must not be negative")
        if length > self.max_request_bytes:
            raise ServingError("RESOURCE_EXHAUSTED", f"the request body has {length} bytes; the limit is "
                                                     f"{self.max_request_bytes} (tfft serve --max-request-bytes)")
        body = self.rfile.read(length)
        self._body_read = True
        return body

    def _send_error(self, status: int, message: str) -> None:
        self._send(status, json.dumps({"error": message}).encode("utf-8"))

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def metadata_json(servable) -> dict:
    """``GET .../metadata``: the model spec and its SignatureDefs, as TF Serving writes them."""
    signature_map = servable.signature_def_map
    return {"model_spec": {"name": servable.name, "signature_name": "", "version": str(servable.version)},
            "metadata": {"signature_def": json_format.MessageToDict(signature_map, preserving_proto_field_name=True)}}


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst of concurrent clients must not be refused


class RestServer:
    """A threaded HTTP server for ``service`` on ``host:port`` (port 0: any free port)."""

    def __init__(self, service: ModelService, host: str = "127.0.0.1", port: int = 8501,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES):
        handler = type("Handler", (_Handler,), {"service": service, "max_request_bytes": max_request_bytes})
        self.httpd = _HttpServer((host, port), handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="tfft-rest", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
