"""Run an export the way stock TF Serving can: only tensorflow + tensorflow_text loaded.

Usage: python pure_tf_predict.py <export_dir> <json list of texts>
Prints one JSON object with the signature's outputs and the modules that were loaded.
"""

import json
import sys

import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the tf-text ops TF Serving links)


def main() -> None:
    export_dir, texts = sys.argv[1], json.loads(sys.argv[2])
    signature = tf.saved_model.load(export_dir).signatures["serving_default"]
    outputs = signature(text=tf.constant(texts))
    print(json.dumps({
        "probabilities": outputs["probabilities"].numpy().tolist(),
        "label": [value.decode() for value in outputs["label"].numpy()],
        "label_id": outputs["label_id"].numpy().tolist(),
        "loaded": sorted(name for name in sys.modules if name.split(".")[0] in ("keras_hub", "tfft", "keras_nlp")),
    }))


if __name__ == "__main__":
    main()
