"""The summit deck: an editable PowerPoint file (python-pptx) built from a comparison. One slide per option's
headline cards (a real table, editable), one per key chart, the key messages first and what reproduces the numbers
last; every slide has a title and speaker notes that give the sources behind it."""

from __future__ import annotations

import io
import textwrap

from pptx import Presentation
from pptx.util import Inches, Pt

from drugsim import __version__
from drugsim.webapp import charts, trust
from drugsim.webapp.cards import cards
from drugsim.webapp.export import KEY_CHARTS, assumptions_table, key_figures, key_messages, reproduce_command
from drugsim.webapp.runs import Comparison

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
_TITLE_ONLY, _TITLE_AND_TEXT, _TITLE = 5, 1, 0  # the default template's layouts


def _slide(deck, layout: int):
    """A new slide whose placeholders span the 16:9 page (the default template's are laid out for 4:3)."""
    slide = deck.slides.add_slide(deck.slide_layouts[layout])
    for shape in slide.placeholders:
        shape.left, shape.width = Inches(0.5), WIDTH - Inches(1.0)
    return slide


def _notes(slide, lines: list[str]) -> None:
    slide.notes_slide.notes_text_frame.text = "\n".join(lines)


def _sources(c: Comparison, outcomes: tuple[str, ...]) -> list[str]:
    """The sources of the assumptions behind `outcomes`, one line each (for speaker notes)."""
    table = assumptions_table(c, outcomes)
    return [f"{r.parameter} = {r['value used']} {r.unit}: {r.source}" for _, r in table.iterrows()]


def _bullets(slide, lines: list[str], size: int = 16) -> None:
    body = slide.placeholders[1].text_frame
    body.clear()
    for i, line in enumerate(lines):
        para = body.paragraphs[0] if i == 0 else body.add_paragraph()
        para.text = line.strip().removeprefix("- ")
        para.level = 1 if line.startswith("  ") else 0
        para.font.size = Pt(size)


def slides_pptx(c: Comparison) -> bytes:
    """The deck as .pptx bytes."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    start, end = c.period
    others = ", ".join(s.name for s in c.others)

    slide = _slide(deck, _TITLE)
    slide.shapes.title.text = f"{others} against {c.base.name}"
    slide.placeholders[1].text = (
        f"West Midlands drug policy simulation, {start[:4]}-{end[:4]}. {c.n_runs} paired runs per scenario"
        + (f", {c.draws} PSA draws (90% prediction intervals)" if c.psa else ", fitted parameters")
        + f". drugsim {__version__}."
    )
    _notes(slide, [trust.overall(), *[f"{s.name}: {s.description}" for s in c.scenarios]])

    slide = _slide(deck, _TITLE_AND_TEXT)
    slide.shapes.title.text = "Key messages"
    messages = [m for m in key_messages(c) if m]
    _bullets(slide, messages, size=14 if len(messages) < 12 else 11)
    _notes(
        slide, ["Each figure is the difference from the base over the period, with its 90% interval.", trust.overall()]
    )

    for s in c.others:
        slide = _slide(deck, _TITLE_ONLY)
        slide.shapes.title.text = f"{s.name}: headlines"
        rows = cards(c, s.name)
        shape = slide.shapes.add_table(
            len(rows) + 1, 4, Inches(0.5), Inches(1.5), Inches(12.3), Inches(0.45) * (len(rows) + 1)
        )
        table = shape.table
        for j, head in enumerate(("Outcome", "Difference", "90% interval", "Chance better")):
            table.cell(0, j).text = head
        for i, card in enumerate(rows, start=1):
            for j, text in enumerate((card.title, card.value, card.interval.removesuffix(" (90%)"), card.chance)):
                table.cell(i, j).text = text
                table.cell(i, j).text_frame.paragraphs[0].font.size = Pt(13)
        notes = [f"{card.title}: {card.note} {card.trust}".strip() for card in rows if card.note or card.trust]
        _notes(slide, [s.description, *notes, "Sources:", *_sources(c, tuple(card.key for card in rows[:4]))])

    figures = key_figures(c)
    for stem, make in figures.items():
        chart = make()
        title = charts.title_of(chart) or stem.replace("_", " ")
        image = charts.to_bytes(chart, "png")
        slide = _slide(deck, _TITLE_ONLY)
        slide.shapes.title.text = textwrap.shorten(title, 90, placeholder="…")
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(24)
        # As large as fits below the title, at the chart's own proportions.
        picture = slide.shapes.add_picture(io.BytesIO(image), Inches(0.8), Inches(1.4))
        scale = min((WIDTH - Inches(1.6)) / picture.width, Inches(5.8) / picture.height)
        picture.width, picture.height = int(picture.width * scale), int(picture.height * scale)
        metric = next((m for m in KEY_CHARTS if stem.startswith(m)), "drug_deaths")
        _notes(slide, [title, trust.outcome_line(metric), "Sources:", *_sources(c, (metric,))])

    slide = _slide(deck, _TITLE_AND_TEXT)
    slide.shapes.title.text = "Reproducing these numbers"
    repro = c.reproducibility()
    command = reproduce_command(c, "results/summit")
    _bullets(
        slide,
        [
            f"drugsim {__version__}; seeds {c.seeds[0]}-{c.seeds[-1]}",
            f"Session changes to assumptions: {repro.session_overrides.iloc[0]}",
            command,
        ],
        size=14,
    )
    _notes(slide, [f"{r.scenario}: resolved_sha256 {r.resolved_sha256}" for r in repro.itertuples()])

    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()
