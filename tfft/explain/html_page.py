"""A self-contained HTML page of explanations: each text with its words shaded by attribution.

Green words raise the explained label's probability, red words lower it; the
shade is the word's attribution relative to the largest in its text. No
scripts, styles or fonts are fetched: the page opens offline and can be
mailed as one file.

Example:

>>> Path("explanations.html").write_text(explanations_page(records), encoding="utf-8")
"""

from __future__ import annotations

import html

from tfft.explain.records import explained_items, heading, texts_and_words

STYLE = """body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.9}
.text{border-bottom:1px solid #ddd;padding:.8em 0}.meta{color:#555;font-size:.85em}
.w{padding:.1em .15em;border-radius:.2em}.legend span{margin-right:1.2em}"""


def opacity(attribution: float, largest: float) -> float:
    """How strongly a word is shaded: its attribution relative to the text's largest, up to 0.85."""
    return 0.85 * (min(abs(attribution) / largest, 1.0) if largest > 0 else 0.0)


def shade(attribution: float, largest: float) -> str:
    """The CSS background of a word: green for support, red against, transparent near zero."""
    colour = "22,163,74" if attribution > 0 else "220,38,38"
    return f"background:rgba({colour},{opacity(attribution, largest):.2f})"


def highlighted(text: str, words: list[dict]) -> str:
    """``text`` as HTML, every word wrapped in a shaded span, the text between words kept."""
    largest = max((abs(w["attribution"]) for w in words), default=0.0)
    parts, position = [], 0
    for word in words:
        parts.append(html.escape(text[position:word["start"]]))
        parts.append(f'<span class="w" style="{shade(word["attribution"], largest)}" '
                     f'title="{word["attribution"]:+.4f}">{html.escape(text[word["start"]:word["end"]])}</span>')
        position = word["end"]
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def _item(record: dict, title: str, item: dict) -> str:
    texts = "".join(f"<div>{highlighted(text, words)}</div>" for text, words in texts_and_words(record, item))
    return (f'<div class="meta"><b>{html.escape(title)}</b> · attributions sum to '
            f'{item["attribution_sum"]:+.4f} of {item["score"] - item["baseline_score"]:+.4f} '
            f'(completeness error {100 * item["completeness_error"]:.1f}%)</div>{texts}')


def explanations_page(records: list[dict], title: str = "tfft explain") -> str:
    """The whole page: a legend, then each text with each explained score (its label and probability)."""
    items = []
    for record in records:
        explained = explained_items(record)
        body = "".join(_item(record, name, item) for name, item in explained) or (
            f'<div class="meta">nothing to explain</div>{html.escape(heading(record))}')
        items.append(f'<div class="text">{body}</div>')
    legend = ('<p class="legend"><span style="background:rgba(22,163,74,.6)">&nbsp;raises&nbsp;</span>'
              '<span style="background:rgba(220,38,38,.6)">&nbsp;lowers&nbsp;</span>the explained '
              'probability (integrated gradients; hover a word for its attribution)</p>')
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{legend}{"".join(items)}'
            f'</body></html>\n')
