"""``tfft index``: an embedding export and a corpus file as a search-index SavedModel (a new version each run).

Example:

    tfft index saved_models/faq-embedder --corpus faq.csv --text-column question --id-column id \\
        --payload-column answer --out saved_models/faq-index --storage int8
    tfft predict saved_models/faq-index "I forgot my password"
"""

from __future__ import annotations

import json
from pathlib import Path

from tfft.export.loaded import resolve_export_path
from tfft.retrieval.build import build_index
from tfft.retrieval.corpus import read_corpus


def default_index_root(embedder: Path) -> Path:
    """``saved_models/faq-embedder[/3]`` → ``saved_models/faq-embedder-index``."""
    model_root = resolve_export_path(embedder).parent
    return model_root.parent / f"{model_root.name}-index"


def run(args) -> int:
    corpus = read_corpus(args.corpus, args.text_column, args.id_column, args.payload_column, args.skip_bad_rows)
    root = Path(args.out) if args.out else default_index_root(Path(args.embedder))
    path = build_index(Path(args.embedder), corpus, root, args.storage, args.top_k, args.chunk_rows, args.version)
    metadata = json.loads((path / "assets.extra" / "tfft.json").read_text(encoding="utf-8"))
    print(f"\n=== tfft index finished ===\n{metadata['rows']} documents × {metadata['dim']} ({metadata['storage']}), "
          f"top {metadata['top_k']} per query\nSavedModel:   {path}")
    return 0
