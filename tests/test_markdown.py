"""The one markdown table formatter (:func:`sr_audit.report.markdown.markdown_table`)."""
from __future__ import annotations

import pandas as pd
import pytest

from sr_audit.report.markdown import markdown_table


def test_cells_as_given_escaped_and_aligned() -> None:
    text = markdown_table(["spec", "PSNR"], [("a|b", "30.00"), ("two\nlines", "–")], right=(False, True))
    assert text.splitlines() == ["| spec | PSNR |", "|:---|---:|", "| a\\|b | 30.00 |", "| two lines | – |"]
    with pytest.raises(ValueError, match="right has 1 entries for 2 columns"):
        markdown_table(["spec", "PSNR"], [], right=(True,))


def test_a_frame_with_its_index_as_the_first_column() -> None:
    frame = pd.DataFrame({"Y": ["31.27", "identical"]}, index=["pil", "cv2"])
    assert markdown_table(["spec", *frame.columns], frame.itertuples(name=None)).splitlines() == [
        "| spec | Y |", "|:---|:---|", "| pil | 31.27 |", "| cv2 | identical |"]
