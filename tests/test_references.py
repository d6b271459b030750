"""The bibliography: every source the parameter table and the targets cite is a work in data/references.csv, and
the briefing pack ends with the works behind its numbers."""

from __future__ import annotations

import pandas as pd

from drugsim.parameters import DATA_DIR, parameter_table
from drugsim.references import KINDS, bibliography, cited_sources, cites, references


def test_every_cited_source_is_a_work_in_the_bibliography():
    """A source text that names no work in the table (or says it is an assumption) is a figure nobody can trace."""
    texts = cited_sources()
    assert set(parameter_table()) < set(texts) and "target deaths_2019" in texts
    # Naming the evidence notes is not enough: the text must name a work, or say that it is an assumption.
    notes = {"evidence_notes"}
    untraced = {name: text for name, text in texts.items() if not {r.key for r in cites(text)} - notes}
    assert not untraced, list(untraced.items())[:5]
    assert [r.key for r in cites("Smith et al. 2024, Lancet (EVIDENCE.md §3)")] == ["evidence_notes"]


def test_each_work_is_cited_and_described():
    table = pd.read_csv(DATA_DIR / "references.csv", dtype=str, keep_default_na=False)
    assert table.key.is_unique and set(table.kind) <= set(KINDS)
    texts = list(cited_sources().values())
    for ref in references():
        assert len(ref.citation) > 20, ref.key
        assert any(ref.pattern.search(t) for t in texts), f"{ref.key} is cited nowhere"


def test_the_force_reports_come_first_and_long_lists_are_counted_not_cut():
    sources = {f"p{i}": "2023-02_spcb_preventing-and-reducing-crime §29" for i in range(12)}
    sources["target t"] = "2023-02_spcb_preventing-and-reducing-crime §31"
    sources["q"] = "Assumption (grade U)"
    table = bibliography(sources)
    assert table.iloc[0].kind == "force report" and table.iloc[-1].kind == "model assumption"
    assert table.iloc[0]["cited for"] == "12 parameters, 1 calibration target (each listed with its source)"
    assert table.iloc[-1]["cited for"] == "q"


def test_a_row_with_an_unquoted_comma_is_refused_not_cut_short(tmp_path, monkeypatch):
    """Four meanings were cut at their first comma (csv put the rest in a column with no name) until this check."""
    import pytest

    from drugsim import parameters

    (tmp_path / "parameters.csv").write_text(
        "name,value,unit,low,high,group,calibrate,source,meaning\n"
        "x,1,share,0,1,g,0,A source,Meaning with a comma, cut here\n"
    )
    monkeypatch.setattr(parameters, "DATA_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"parameters.csv line 2 \(x\): 10 fields, the header has 9"):
        parameters.parameter_table.__wrapped__()
    (tmp_path / "parameters.csv").write_text(
        "name,value,unit,low,high,group,calibrate,source,meaning\ny,1,share,0,1,g,0,A source\n"
    )
    with pytest.raises(ValueError, match=r"parameters.csv line 2 \(y\): 8 fields, the header has 9"):
        parameters.parameter_table.__wrapped__()
