"""Pre-training: masked-LM and causal-LM objectives on raw text corpora."""
