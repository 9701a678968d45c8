"""``tfft predict``: run an export (or a served model) on texts, named inputs or a file; JSON lines out.

Example:

    tfft predict saved_models/support-intents "I was charged twice"
    tfft predict --server http://127.0.0.1:8501 support-intents "I was charged twice"
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tfft.config import DataConfig
from tfft.data.readers import read_examples
from tfft.export.loaded import LoadedExport, predict_in_batches
from tfft.serving.client import connect


def run(args) -> int:
    names, predict = _predictor(args)
    inputs = _file_inputs(args, names) if args.file else _command_line_inputs(args, names)
    if not inputs or not next(iter(inputs.values())):
        raise ValueError("nothing to predict: pass texts, --input NAME=VALUE or --file")
    if sorted(inputs) != sorted(names) or len({len(v) for v in inputs.values()}) != 1:
        raise ValueError(f"{args.export} takes inputs {names}; give each the same number of values "
                         f"(texts and --pair, or --input NAME=VALUE)")
    outputs = predict(inputs)
    rows = [{name: values[i] for name, values in inputs.items()} for i in range(len(inputs[names[0]]))]
    lines = [json.dumps({**row, **_row(outputs, i)}, ensure_ascii=False) for i, row in enumerate(rows)]
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {len(lines)} predictions to {args.output}", file=sys.stderr)
    else:
        print("\n".join(lines))
    return 0


def _predictor(args):
    """(input names in positional order, a function from named string lists to named outputs)."""
    if not args.server:
        exported = LoadedExport(args.export, args.signature)
        return exported.input_names, exported.predict
    client = connect(args.server, args.export, version=args.version, label=args.label,
                     timeout=args.timeout, retries=args.retries)
    # Metadata has no input order; tfft's pair inputs are named text, text_pair.
    names = sorted(client.input_names(args.signature), key=lambda name: (name != "text", name))
    return names, lambda inputs: predict_in_batches(lambda batch: client.predict(batch, args.signature), inputs)


def _command_line_inputs(args, names: list[str]) -> dict[str, list[str]]:
    inputs: dict[str, list[str]] = {}
    if args.texts:
        inputs[names[0]] = list(args.texts)
    if args.pair is not None and len(names) > 1:
        inputs[names[1]] = list(args.pair)
    for item in args.input:
        name, equals, value = item.partition("=")
        if not equals:
            raise ValueError(f"--input '{item}' must look like NAME=VALUE")
        inputs.setdefault(name.strip(), []).append(value)
    return inputs


def _file_inputs(args, names: list[str]) -> dict[str, list[str]]:
    columns = [args.text_column or names[0]]
    if len(names) > 1:
        columns.append(args.text_pair_column or names[1])
    data = DataConfig(text_column=columns[0], text_pair_column=columns[1] if len(columns) > 1 else None)
    examples = read_examples(args.file, data, with_labels=False)
    values = [examples.texts, examples.pairs]
    return {name: list(values[i]) for i, name in enumerate(names)}


def _row(outputs: dict, index: int) -> dict:
    return {name: _plain(values[index]) for name, values in outputs.items()}


def _plain(value):
    """numpy values (string tensors arrive as bytes) as JSON-able Python values."""
    value = value.tolist() if hasattr(value, "tolist") else value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
