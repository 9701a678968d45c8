#!/usr/bin/env python
"""CoNLL-2003 NER with MiniLM-L6: entity F1 (seqeval, strict) on valid, tokens/s, time.

    python benchmarks/ner.py                                   # trains configs/conll2003.yaml
    python benchmarks/ner.py --set training.epochs=1           # any config override
    python benchmarks/ner.py --from-run runs/conll2003         # figures of a finished run
    python benchmarks/ner.py --set training.epochs=1 --set name=conll-speed --peer   # + HF/PyTorch, back to back

The peer (benchmarks/peers/hf_token_classification.py) trains the same model on the
same sentences with Hugging Face + PyTorch, dynamic padding and length grouping.
"""

from recipe import ROOT, run, run_peer


def hf_peer(args) -> dict:
    return run_peer(args.hf_python, "hf_token_classification.py",
                    ["--data-dir", str(ROOT.parent / "shared" / "data" / "conll2003"), "--lr", "1e-4"])


if __name__ == "__main__":
    run(__doc__.split("\n")[0], "conll2003.yaml", ("f1", "precision", "recall"), peer=hf_peer)
