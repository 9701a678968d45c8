"""TF Serving's REST JSON for predict: ``instances`` (row) or ``inputs`` (columnar), and back.

Strings travel as JSON strings, or as ``{"b64": "..."}`` for raw bytes.

Example:

>>> request = parse_predict_body(b'{"instances": ["hi"]}', lambda signature: ["text"])
>>> request.inputs["text"]
array([b'hi'], dtype=object)
>>> format_predictions({"label": np.array([b"greeting"], dtype=object)}, row_format=True)
{'predictions': ['greeting']}
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Callable

import numpy as np

from tfft.serving.errors import invalid


@dataclass
class PredictRequest:
    signature_name: str
    inputs: dict[str, object]
    row_format: bool


def parse_predict_body(body: bytes, inputs_of: Callable[[str], list[str]]) -> PredictRequest:
    """Parses a predict body; ``inputs_of(signature_name)`` lists that signature's inputs.

    The one-input forms (``"instances": ["a", "b"]``) name no input, so the
    signature the body asks for decides which input they are.
    """
    try:
        return _parse(json.loads(body.decode("utf-8")), inputs_of)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise invalid(f"JSON parse error: {error}") from None
    except RecursionError:
        raise invalid("the request is nested too deeply") from None


def _parse(document, inputs_of: Callable[[str], list[str]]) -> PredictRequest:
    if not isinstance(document, dict):
        raise invalid("the request body must be a JSON object with 'instances' or 'inputs'")
    if ("instances" in document) == ("inputs" in document):
        raise invalid("the request must have exactly one of 'instances' (row format) or 'inputs' (columnar)")
    signature_name = document.get("signature_name", "")
    if not isinstance(signature_name, str):
        raise invalid("'signature_name' must be a string")
    input_names = inputs_of(signature_name)
    if "instances" in document:
        return PredictRequest(signature_name, _rows_to_columns(document["instances"], input_names), True)
    return PredictRequest(signature_name, _columns(document["inputs"], input_names), False)


def _rows_to_columns(instances, input_names: list[str]) -> dict[str, object]:
    if not isinstance(instances, list) or not instances:
        raise invalid("'instances' must be a non-empty list")
    named = [isinstance(row, dict) and "b64" not in row for row in instances]
    if not any(named):
        if len(input_names) != 1:
            raise invalid(f"the signature takes {input_names}; each instance must be an object with those keys")
        return {input_names[0]: _decoded(instances)}
    if not all(named):
        raise invalid("'instances' mixes objects and plain values")
    keys = set(instances[0])
    for index, row in enumerate(instances):
        if set(row) != keys:
            raise invalid(f"instance {index} has keys {sorted(row)}; instance 0 has {sorted(keys)}")
    return {key: _decoded([row[key] for row in instances]) for key in keys}


def _columns(inputs, input_names: list[str]) -> dict[str, object]:
    if isinstance(inputs, dict) and "b64" not in inputs:
        return {key: _decoded(value) for key, value in inputs.items()}
    if len(input_names) != 1:
        raise invalid(f"the signature takes {input_names}; 'inputs' must be an object with those keys")
    return {input_names[0]: _decoded(inputs)}


def _decoded(value):
    """JSON values with strings as UTF-8 bytes and ``{"b64": ...}`` decoded, as a numpy array."""
    return np.array(_leaves(value), dtype=object) if _has_text(value) else _numeric(value)


def _has_text(value) -> bool:
    if isinstance(value, list):
        return any(_has_text(item) for item in value)
    return isinstance(value, (str, dict))


def _leaves(value):
    if isinstance(value, list):
        return [_leaves(item) for item in value]
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and set(value) == {"b64"} and isinstance(value["b64"], str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except binascii.Error:
            raise invalid("a 'b64' value is not valid base64") from None
    raise invalid(f"unexpected value {json.dumps(value)[:80]} among strings")


def _numeric(value) -> np.ndarray:
    try:
        array = np.array(value)
    except ValueError:
        raise invalid("a list in the request is ragged (rows of different lengths)") from None
    if array.dtype == object:
        raise invalid("a list in the request is ragged or holds mixed types")
    return array


def format_predictions(outputs: dict[str, np.ndarray], row_format: bool) -> dict:
    """The response body: ``predictions`` for row requests, ``outputs`` for columnar ones."""
    plain = {name: _jsonable(value) for name, value in outputs.items()}
    if row_format:
        if len(plain) == 1:
            return {"predictions": next(iter(plain.values()))}
        rows = len(next(iter(outputs.values())))
        return {"predictions": [{name: values[i] for name, values in plain.items()} for i in range(rows)]}
    return {"outputs": next(iter(plain.values())) if len(plain) == 1 else plain}


def _jsonable(value: np.ndarray):
    if value.dtype == object or value.dtype.kind == "S":
        return _text(value.tolist())
    return value.tolist()


def _text(value):
    if isinstance(value, list):
        return [_text(item) for item in value]
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
