"""``tfft index``: an embedding export and a corpus file as a search-index SavedModel (a new version each run).

Example:

    tfft index saved_models/faq-embedder --corpus faq.csv --text-column question --id-column id \\
        --payload-column answer --out saved_models/faq-index --storage int8
    tfft index saved_models/faq-embedder --corpus faq.csv --hybrid --validation faq_dev_queries.csv
    tfft predict saved_models/faq-index "I forgot my password"
"""

from __future__ import annotations

from pathlib import Path

from tfft.export.loaded import LoadedExport, resolve_export_path
from tfft.retrieval.build import build_index
from tfft.retrieval.corpus import read_corpus
from tfft.retrieval.queries import read_queries


def default_index_root(embedder: Path) -> Path:
    """``saved_models/faq-embedder[/3]`` → ``saved_models/faq-embedder-index``."""
    model_root = resolve_export_path(embedder).parent
    return model_root.parent / f"{model_root.name}-index"


def run(args) -> int:
    corpus = read_corpus(args.corpus, args.text_column, args.id_column, args.payload_column, args.skip_bad_rows)
    root = Path(args.out) if args.out else default_index_root(Path(args.embedder))
    if args.validation and not args.hybrid:
        raise ValueError("--validation chooses the dense weight of hybrid search: add --hybrid")
    validation = read_queries(args.validation, args.query_column, args.relevant_column, args.skip_bad_rows) \
        if args.validation else None
    path = build_index(Path(args.embedder), corpus, root, args.storage, args.top_k, args.chunk_rows, args.version,
                       args.hybrid, args.dense_weight, validation)
    metadata = LoadedExport.read_metadata(path)
    lines = ["", "=== tfft index finished ===",
             f"{metadata['rows']} documents × {metadata['dim']} ({metadata['storage']}), "
             f"top {metadata['top_k']} per query"]
    if metadata["hybrid"]:
        lines.append(f"hybrid: BM25 over {metadata['hybrid']['terms']} terms, dense weight "
                     f"{metadata['hybrid']['dense_weight']}" + (" (chosen on --validation)" if validation else ""))
    lines.append(f"SavedModel:   {path}")
    print("\n".join(lines))
    return 0
