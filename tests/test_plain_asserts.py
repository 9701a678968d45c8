"""Graph assertions traced for serving are plain Assert ops that still refuse bad values."""

import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from tfft.export.plain_asserts import plain_asserts


def op_types(graph) -> list[str]:
    return [op.type for op in graph.get_operations()]


def trace_positive_check():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def checked(values):
        with tf.control_dependencies([tf.debugging.assert_positive(values, message="values must be positive")]):
            return values * 2.0

    return checked.get_concrete_function()


def test_float_assertions_trace_without_a_cond_and_still_fail():
    with plain_asserts():
        checked = trace_positive_check()
    assert "Assert" in op_types(checked.graph)
    assert not {"If", "StatelessIf"} & set(op_types(checked.graph))
    assert checked(tf.constant([1.0, 2.0])).numpy().tolist() == [2.0, 4.0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="values must be positive"):
        checked(tf.constant([1.0, -2.0]))


def test_tracing_outside_the_block_is_unchanged():
    with plain_asserts():
        pass
    assert {"If", "StatelessIf"} & set(op_types(trace_positive_check().graph))  # TensorFlow's own guarded form


def test_export_graph_has_no_assert_guards(trained_tiny):
    saved = saved_model_pb2.SavedModel.FromString((trained_tiny["result"].export_path / "saved_model.pb").read_bytes())
    library = saved.meta_graphs[0].graph_def.library.function
    nodes = [node.op for function in library for node in function.node_def]
    assert "Assert" in nodes  # the tokenizer's RaggedTensor checks are kept
    assert not {"If", "StatelessIf"} & set(nodes)  # each would cost Switch/Merge nodes on every request
