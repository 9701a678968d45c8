"""Why a model said what it said: integrated gradients over the word embeddings, mapped back to words."""
