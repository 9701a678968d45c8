"""tfft: fine-tune keras-hub transformer backbones and serve them with TF Serving.

Example:

>>> from tfft.config import RunConfig
>>> from tfft.training.run import train
>>> result = train(RunConfig())          # fine-tune MiniLM-L6 on the sample intents
>>> result.export_path                    # saved_models/support-intents/1
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
