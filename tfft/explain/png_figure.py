"""One text's explanation as a PNG: its words on shaded boxes under each explained score, a colour legend.

The shades are the HTML page's (`tfft.explain.html_page.opacity`): green raises the
explained label's probability, red lowers it, relative to the text's strongest word.

Example:

>>> explanation_png(record, "why.png")
"""

from __future__ import annotations

from pathlib import Path

from tfft.explain.html_page import opacity
from tfft.explain.records import explained_items, texts_and_words

GREEN, RED = (22 / 255, 163 / 255, 74 / 255), (220 / 255, 38 / 255, 38 / 255)
WIDTH, MARGIN = 9.0, 0.3  # inches
TITLE, LINE, LEGEND = 0.55, 0.34, 0.95  # inches: the title band, one line of words, the colour bar band
FONT_SIZE = 12


def _colour(attribution: float, largest: float) -> tuple[float, float, float, float]:
    return (*(GREEN if attribution > 0 else RED), opacity(attribution, largest))


def _lines(figure, text: str, words: list[dict]) -> list[list[tuple[float, dict]]]:
    """Words laid out left to right in lines that fit the width: (x in inches, word) per line."""
    renderer = figure.canvas.get_renderer()

    def width(piece: str) -> float:
        probe = figure.text(0, 0, piece, fontsize=FONT_SIZE)
        inches = probe.get_window_extent(renderer).width / figure.dpi
        probe.remove()
        return inches

    space, lines, x, position = width(" "), [[]], MARGIN, 0
    for word in words:
        if text[position:word["start"]] and x > MARGIN:
            x += space
        position = word["end"]
        size = width(text[word["start"]:word["end"]])
        if x + size > WIDTH - MARGIN and x > MARGIN:
            lines.append([])
            x = MARGIN
        lines[-1].append((x, word))
        x += size
    return lines


def explanation_png(record: dict, path: str | Path) -> None:
    """Writes the record of one text (`tfft.explain.explainer.TextExplainer.explain`) to ``path``: each
    explained score (a label; each entity) as a title over the text's shaded words."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    items = explained_items(record) or [("nothing to explain", {"words": []})]
    largest = max((abs(word["attribution"]) for _, item in items for word in item["words"]), default=0.0)
    figure = plt.figure(figsize=(WIDTH, 2.0), dpi=120)
    blocks = [(title, [(text, _lines(figure, text, words)) for text, words in texts_and_words(record, item)])
              for title, item in items]
    height = sum(TITLE + LINE * sum(len(lines) for _, lines in texts) for _, texts in blocks) + LEGEND
    figure.set_size_inches(WIDTH, height)
    top = 0.0
    for title, texts in blocks:
        figure.text(MARGIN / WIDTH, 1 - (top + 0.2) / height, title, va="top", fontsize=FONT_SIZE - 1, weight="bold")
        top += TITLE
        for text, lines in texts:
            for line in lines:
                for x, word in line:
                    figure.text(x / WIDTH, 1 - top / height, text[word["start"]:word["end"]], va="top",
                                fontsize=FONT_SIZE, bbox={"facecolor": _colour(word["attribution"], largest),
                                                          "edgecolor": "none", "pad": 1.5})
                top += LINE
    colour_bar = figure.add_axes((0.25, 0.55 / height, 0.5, 0.14 / height))
    colours = LinearSegmentedColormap.from_list("attribution", [RED, (1, 1, 1), GREEN])
    figure.colorbar(plt.cm.ScalarMappable(Normalize(-largest or -1, largest or 1), colours), cax=colour_bar,
                    orientation="horizontal", label="attribution to the explained probability (integrated gradients)")
    figure.savefig(path)
    plt.close(figure)
