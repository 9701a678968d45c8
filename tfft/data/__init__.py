"""Readers, validation, label vocabularies, splits and the tf.data pipeline."""
