"""Scores of generated text against references: ROUGE-1/2/L, sacreBLEU, exact match.

ROUGE is Google's ``rouge-score`` (F-measure, Porter stemming, as reported for
summarization); BLEU is ``sacrebleu``'s corpus BLEU with its default 13a
tokenization, so the figure is the one sacreBLEU prints. All are 0..100.

Example:

>>> generation_scores(["a cat sat"], ["the cat sat"])
{'rouge1': 80.0, 'rouge2': 50.0, 'rougeL': 80.0, 'bleu': 0.0, 'exact_match': 0.0}
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import sacrebleu
from rouge_score import rouge_scorer

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def generation_scores(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    rouge = [scorer.score(reference, prediction) for prediction, reference in zip(predictions, references)]
    scores = {name: float(100 * np.mean([r[name].fmeasure for r in rouge])) if rouge else 0.0
              for name in ROUGE_TYPES}
    scores["bleu"] = float(sacrebleu.corpus_bleu(list(predictions), [list(references)]).score)
    scores["exact_match"] = float(100 * np.mean([p.strip() == r.strip() for p, r in zip(predictions, references)])
                                  if references else 0.0)
    return scores
