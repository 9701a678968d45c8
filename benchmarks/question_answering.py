#!/usr/bin/env python
"""SQuAD v1.1 with MiniLM-L6: exact match and F1 on the two held-out articles, tokens/s, time.

    python benchmarks/question_answering.py                      # trains configs/squad_v1.yaml
    python benchmarks/question_answering.py --from-run runs/squad-v1
"""

from recipe import run

if __name__ == "__main__":
    run(__doc__.split("\n")[0], "squad_v1.yaml", ("f1", "exact_match"))
