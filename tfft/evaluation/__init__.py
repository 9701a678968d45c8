"""Evaluation helpers shared by tasks: figures and TensorBoard callbacks."""
