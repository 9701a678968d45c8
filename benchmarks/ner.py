#!/usr/bin/env python
"""CoNLL-2003 NER with MiniLM-L6: entity F1 (seqeval, strict) on valid, tokens/s, time.

    python benchmarks/ner.py                                   # trains configs/conll2003.yaml
    python benchmarks/ner.py --set training.epochs=1           # any config override
    python benchmarks/ner.py --from-run runs/conll2003         # figures of a finished run
"""

from recipe import run

if __name__ == "__main__":
    run(__doc__.split("\n")[0], "conll2003.yaml", ("f1", "precision", "recall"))
