"""Small Keras layers used by task heads."""
