"""TF Serving exports: versioned SavedModels with the tokenizer in the graph."""
