"""The HTML report of industry-frame results: a run's year-by-year tables
(checked against the raw scenarios of sim.sample), returns, legend and
charts; a sweep's table and chart; and the page as a browser renders it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

import sim
from sim.cli.main import cli
from sim.present import industry_tables, report
from sim.scenario.load import from_mapping

SCENARIO = {"name": "ind", "frame": "industry", "extends": "baseline", "horizon_years": 10}
N, SEED = 4000, 3
YEARS = [str(y) for y in range(2023, 2033)]


class Page(HTMLParser):
    """Headings, tables (rows of cells) and images of an HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.tables, self.imgs, self.tags, self.attrs, self.h1 = [], [], [], {}, ""
        self._cell = None
        self._in_h1 = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "body":
            self.attrs = a
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "img":
            self.imgs.append(a)
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self._cell.strip())
            self._cell = None
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._in_h1:
            self.h1 += data


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    return from_mapping(SCENARIO)


@pytest.fixture(scope="module")
def ind(scenario) -> xr.Dataset:
    return sim.run(scenario, n_scenarios=N, seed=SEED, progress=False)


@pytest.fixture(scope="module")
def raw(scenario) -> xr.Dataset:
    """The same scenarios, one row each: what the table's statistics summarise."""
    return sim.sample(scenario, N, seed=SEED)


@pytest.fixture(scope="module")
def ind_sweep(scenario) -> xr.Dataset:
    return sim.sweep(scenario, {"industry.entry_speed": [0.1, 1.0, 3.0]}, n_scenarios=2000,
                     seed=SEED)


@pytest.fixture(scope="module")
def page_file(ind, ind_sweep, tmp_path_factory):
    d = tmp_path_factory.mktemp("industry_report")
    run = sim.write_netcdf(ind, d / "ind.nc")
    swept = sim.write_netcdf(ind_sweep, d / "sweep.nc")
    out = d / "report.html"
    r = CliRunner().invoke(cli, ["report", str(run), str(swept), "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


def _png_imgs(page: Page) -> list[dict]:
    return [i for i in page.imgs if i.get("src", "").startswith("data:image/png;base64,")]


def _number(cell: str) -> float:
    """A table cell back as a number: $148B, 47.8, 61.5%."""
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
    m = re.fullmatch(r"(-?)\$?([0-9.e+]+)([KMBT%]?)", cell)
    assert m, cell
    value = float(m.group(2)) * (0.01 if m.group(3) == "%" else scale.get(m.group(3), 1.0))
    return -value if m.group(1) else value


def test_the_run_page_has_the_year_by_year_tables(page_file, raw):
    page = Page(page_file.read_text(encoding="utf-8"))
    medians, chances, returns, sweep_table = page.tables
    assert medians[0] == ["median of", *YEARS]
    assert [r[0] for r in medians[1:]] == [label for _, label, _ in industry_tables.MEDIAN_ROWS]
    rows = {r[0]: r[1:] for r in medians[1:]}
    # Medians of the run's sketch against the exact medians of the same scenarios.
    for label, name in (("frontier labs", "labs"), ("revenue, USD/yr", "revenue"),
                        ("capex, USD/yr", "capex")):
        exact = np.median(raw[name].values, axis=0)
        got = [_number(c) for c in rows[label]]
        np.testing.assert_allclose(got, exact, rtol=0.02, err_msg=label)
    assert chances[0] == ["probability", *YEARS]
    probs = {r[0]: [_number(c) for c in r[1:]] for r in chances[1:]}
    for label, name in (("P(cooled by then)", "cooled"), ("P(valued below cost)", "valued_below_cost"),
                        ("P(capex falls)", "capex_fall"), ("P(capex peaks then)", "capex_peak")):
        np.testing.assert_allclose(probs[label], raw[name].mean("scenario").values, atol=0.0006,
                                   err_msg=label)
    assert sum(probs["P(capex peaks then)"]) == pytest.approx(1.0, abs=0.006)  # one peak each
    assert returns[0] == ["return", "median", "5%", "95%", "mean ± se"]
    assert [r[0] for r in returns[1:]] == ["realized industry return", "return expected at the start"]
    realized = float(returns[1][1])
    assert realized == pytest.approx(float(np.median(raw.roi_industry)), rel=0.02, abs=0.01)
    expected = float(returns[2][1])
    assert expected == pytest.approx(float(np.median(raw.q.isel(year=0) - 1)), rel=0.02)


def test_the_page_has_the_charts_legend_and_nothing_from_elsewhere(page_file):
    text = page_file.read_text(encoding="utf-8")
    page = Page(text)
    assert page.h1 == "The frontier AI industry year by year"
    imgs = _png_imgs(page)
    assert len(imgs) == len(page.imgs) == len(report.INDUSTRY_RUN_CHARTS) + len(report.INDUSTRY_SWEEP_CHARTS)
    assert [i["alt"] for i in imgs] == ["fan chart", "cooling chart", "sweep chart"]
    assert all(len(i["src"]) > 10_000 for i in imgs)
    for _, caption in report.INDUSTRY_RUN_CHARTS + report.INDUSTRY_SWEEP_CHARTS:
        assert caption.replace("'", "&#x27;") in text
    assert "P(realized industry return &lt; 0): " in text
    assert "P(cooled by then) = share of scenarios where investors valued a lab above cost" in text
    assert "Scenario 'ind', industry frame" in text and "entry_speed" in text
    assert "Charts not drawn" not in text
    assert "script" not in page.tags and "link" not in page.tags
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)


def test_the_sweep_page_has_a_row_per_swept_value(page_file, ind_sweep):
    sweep_table = Page(page_file.read_text(encoding="utf-8")).tables[3]
    assert sweep_table[0][:3] == ["industry.entry_speed", "P(cooled by 2032) ± se",
                                  "P(valued below cost in 2032)"]
    assert [r[0] for r in sweep_table[1:]] == ["0.1", "1.0", "3.0"]
    for row, k in zip(sweep_table[1:], range(3)):
        at = ind_sweep.isel({"industry.entry_speed": k})
        assert _number(row[1].split(" ± ")[0]) == pytest.approx(float(at.prob_cooled.isel(year=-1)),
                                                                abs=0.0006)
        assert _number(row[3]) == pytest.approx(float(at.prob_industry_loss), abs=0.0006)
        peak = at.capex_peak_year.values
        year, share = row[7].rstrip(")").split(" (")
        assert int(year) == 2023 + int(np.argmax(peak))
        assert _number(share) == pytest.approx(peak.max(), abs=0.0006)


def test_a_report_of_both_frames_keeps_the_project_heading(ind, baseline_result, tmp_path):
    html = report.build_report([("base.nc", baseline_result), ("ind.nc", ind)])
    page = Page(html)
    assert page.h1 == "Returns of training and deploying AI models of each size"
    assert page.tables[0][0][:2] == ["model size", "median ROI"]
    assert ["median of", *YEARS] in [t[0] for t in page.tables]
    assert [i["alt"] for i in _png_imgs(page)][-2:] == ["fan chart", "cooling chart"]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@pytest.mark.integration
def test_the_industry_report_renders_in_a_headless_browser(page_file, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not found: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium); CI installs it")
    probe = tmp_path / "probe.html"
    probe.write_text(page_file.read_text(encoding="utf-8").replace(
        "</body>", "<script>window.addEventListener('load', () => document.body.setAttribute("
                   "'data-widths', [...document.images].map(i => i.naturalWidth).join(',')));"
                   "</script></body>"), encoding="utf-8")
    profile = tmp_path / "profile"
    profile.mkdir()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", probe.as_uri()], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    page = Page(dom)
    assert len(page.tables) == 4 and len(page.tables[0]) == 12  # header and 11 paths
    widths = [int(w) for w in page.attrs["data-widths"].split(",")]
    assert len(widths) == 3 and all(w >= 800 for w in widths)  # every image decoded
