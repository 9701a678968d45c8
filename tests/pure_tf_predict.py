"""Run an export the way stock TF Serving can: only tensorflow + tensorflow_text loaded.

Usage: python pure_tf_predict.py <export_dir> <json list of texts | json object of named string lists> [signature]
Prints one JSON object with the signature's outputs (by name) and the modules that were loaded.
"""

import json
import sys

import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the tf-text ops TF Serving links)


def main() -> None:
    export_dir, inputs = sys.argv[1], json.loads(sys.argv[2])
    inputs = inputs if isinstance(inputs, dict) else {"text": inputs}
    name = sys.argv[3] if len(sys.argv) > 3 else "serving_default"
    signature = tf.saved_model.load(export_dir).signatures[name]
    outputs = signature(**{name: tf.constant(values) for name, values in inputs.items()})
    printed = {name: plain(value.numpy().tolist()) for name, value in outputs.items()}
    printed["loaded"] = sorted(name for name in sys.modules
                               if name.split(".")[0] in ("keras_hub", "tfft", "keras_nlp"))
    print(json.dumps(printed))


def plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


if __name__ == "__main__":
    main()
