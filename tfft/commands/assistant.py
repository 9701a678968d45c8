"""``tfft assistant``: an intent classifier and an FAQ index as one customer-service SavedModel (new version).

Example:

    tfft assistant --classifier saved_models/customer-service-intents \\
        --index saved_models/customer-service-faq-index \\
        --validation tfft/sample_data/customer_service/validation.csv --answer-id-column answer_id \\
        --out saved_models/customer-service
    tfft predict saved_models/customer-service "where is my parcel"
"""

from __future__ import annotations

from pathlib import Path

from tfft.assistant.build import build_assistant
from tfft.assistant.labelled_messages import read_labelled_messages
from tfft.export.loaded import LoadedExport


def run(args) -> int:
    validation = read_labelled_messages(args.validation, args.text_column, args.intent_column,
                                        args.answer_id_column, args.skip_bad_rows)
    path = build_assistant(Path(args.classifier), Path(args.index), validation, Path(args.out), args.answer_column,
                           args.out_of_scope_label, args.max_in_scope_handoff, args.version)
    metadata = LoadedExport.read_metadata(path)
    thresholds, report = metadata["thresholds"], metadata["rule"]["validation"]
    lines = ["", "=== tfft assistant finished ===",
             f"hand-off when intent probability < {thresholds['intent']:.4f} or answer score < "
             f"{thresholds['answer']:.4f}  (at most {args.max_in_scope_handoff:.0%} of in-scope validation "
             f"messages handed off, most out-of-scope ones caught)",
             f"validation ({report['in_scope']} in scope, {report['out_of_scope']} out of scope): in-scope accuracy "
             f"{report['in_scope_accuracy']:.1f}%, out-of-scope recall {report['out_of_scope_recall']:.1f}%, "
             f"precision {report['out_of_scope_precision']:.1f}%"
             + (f", answer accuracy {report['answer_accuracy']:.1f}%" if "answer_accuracy" in report else ""),
             f"SavedModel:   {path}"]
    print("\n".join(lines))
    return 0
