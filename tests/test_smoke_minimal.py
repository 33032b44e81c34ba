from pathlib import Path

import pytest
from pypdf import PdfReader


@pytest.mark.slow
def test_minimal_project_builds_three_pdfs(project: Path, cli) -> None:
    run = cli(project, "build")
    assert run.code == 0, run.err
    for audience in ("parliamentary", "ngo", "student"):
        pdf = project / "output" / "harbour" / f"harbour-{audience}.pdf"
        text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert "The new quay" in text
