"""``tfft explain``: which words made a trained model say what it said (integrated gradients).

Example:

    tfft explain runs/support-intents "I was charged twice for one order" --html why.html --png why.png
    tfft explain saved_models/sst2 --file dev.tsv --text-column sentence --output sst2.jsonl --steps 64
    tfft explain runs/squad "Who wrote it?" --pair "Ada wrote it in 1843." --html why.html   # QA: question, context
"""

from __future__ import annotations

import json
from pathlib import Path

from tfft.config import DataConfig
from tfft.data.readers import read_examples
from tfft.explain.explainer import TextExplainer
from tfft.explain.html_page import explanations_page
from tfft.explain.integrated_gradients import COMPLETENESS_TOLERANCE
from tfft.explain.png_figure import explanation_png
from tfft.explain.records import explained_items, heading, ranked_words

TOP_WORDS = 5


def examples_of(args, names: list[str]) -> list[str | dict[str, str]]:
    """The texts to explain (a dict per example for pair inputs such as QA's question and context)."""
    if bool(args.texts) == bool(args.file):
        raise ValueError("give the texts to explain as arguments or with --file, not both and not neither")
    if args.texts:
        firsts, seconds = list(args.texts), list(args.pair)
    else:
        columns = [args.text_column or names[0], (args.pair_column or names[1]) if len(names) > 1 else None]
        data = DataConfig(text_column=columns[0], text_pair_column=columns[1], skip_bad_rows=args.skip_bad_rows)
        examples = read_examples(args.file, data, with_labels=False)
        firsts, seconds = list(examples.texts), list(examples.pairs or [])
    if len(names) == 1:
        if seconds:
            raise ValueError(f"this model takes one text ({names[0]}); --pair is for models that take two")
        return firsts
    if len(seconds) != len(firsts):
        raise ValueError(f"this model takes {names[0]} and {names[1]}: give one --pair ({names[1]}) per text "
                         f"({len(firsts)} texts, {len(seconds)} --pair)")
    return [{names[0]: first, names[1]: second} for first, second in zip(firsts, seconds)]


def refuse_to_overwrite(*paths: str | None) -> None:
    for path in paths:
        if path and Path(path).exists():
            raise FileExistsError(f"{path} already exists; tfft explain never overwrites a file, name a new one")


def summary(record: dict) -> str:
    lines = [heading(record)]
    for title, item in explained_items(record):
        ranked = [item["words"][i] for i in ranked_words(item["words"])[:TOP_WORDS]]
        words = ", ".join(f"{word['word']} {word['attribution']:+.3f}" for word in ranked)
        check = "holds" if item["completeness_holds"] else "MISSED (try more --steps)"
        lines.append(f"  {title}; most for it: {words}; completeness error "
                     f"{100 * item['completeness_error']:.2f}% ({check})")
    if len(lines) == 1:
        lines.append("  nothing to explain (no entity or answer found)")
    return "\n".join(lines)


def run(args) -> int:
    refuse_to_overwrite(args.output, args.html, args.png)
    explainer = TextExplainer.load(Path(args.path))
    texts = examples_of(args, explainer.trained.task.serving_inputs)
    if args.png and len(texts) != 1:
        raise ValueError(f"--png draws one text; {len(texts)} were given (use --html for several)")
    records = explainer.explain_all(texts, args.steps, args.baseline, args.label)
    if args.output:
        Path(args.output).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                     encoding="utf-8")
    if args.html:
        Path(args.html).write_text(explanations_page(records, f"tfft explain · {args.path}"), encoding="utf-8")
    if args.png:
        explanation_png(records[0], args.png)
    items = [item for record in records for _, item in explained_items(record)]
    held = sum(item["completeness_holds"] for item in items)
    lines = [summary(record) for record in records[:args.show]]
    lines += ["", f"completeness within {COMPLETENESS_TOLERANCE:.0%} on {held} of {len(items)} explained scores "
                  f"({len(records)} texts, {args.steps} steps, {args.baseline} baseline)"]
    lines += [f"{name}: {path}" for name, path in (("JSON lines", args.output), ("HTML", args.html), ("PNG", args.png))
              if path]
    print("\n".join(lines))
    return 0
