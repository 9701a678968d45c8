"""Training runs unchanged under MirroredStrategy (two logical CPUs, in a subprocess)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import tiny_overrides

SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
    from tfft.config import load_config
    from tfft.training.run import train
    from tfft.training.strategy import make_strategy
    strategy = make_strategy("mirrored")
    result = train(load_config(None, json.loads(sys.argv[2])), verbose=0)
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "accuracy": result.metrics["validation"]["after"]["accuracy"],
                      "export": str(result.export_path)}))
""")


def test_mirrored_strategy_on_two_cpus(tmp_path, sentiment_files):
    overrides = tiny_overrides(tmp_path, sentiment_files, **{"training.distribute": "mirrored", "training.epochs": 3})
    root = str(Path(__file__).resolve().parent.parent)
    completed = subprocess.run([sys.executable, "-c", SCRIPT, root, json.dumps(overrides)],
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["accuracy"] > 0.5
    assert (Path(result["export"]) / "saved_model.pb").is_file()
