"""sim report on every kind of result the tools write: a run (with net value,
the decision objective), a run with strategies, a sweep, a decision, a
sensitivity analysis, a calibration, a sample of draws and the industry
frame's run; each page self-contained, its tables and charts what the result
holds, and rendered by a real browser (headless Chromium)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim.cli.main import cli
from sim.present import report
from sim.vocab.units import percent, size_label, usd_label

#: Slow (a report of every result kind, each built by a run): with --slow, as CI does.
pytestmark = pytest.mark.slow



class Page(HTMLParser):
    """Tables, rows, cells and images of an HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.tables, self.imgs, self.tags, self.attrs = [], [], [], {}
        self._cell = None
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

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _png_imgs(page: Page) -> list[dict]:
    return [i for i in page.imgs if i.get("src", "").startswith("data:image/png;base64,")]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@pytest.fixture(scope="module")
def results(tmp_path_factory, baseline_result, swept_result) -> dict:
    """(file, Dataset) of every kind of result."""
    d = tmp_path_factory.mktemp("kinds")
    made = {
        "run": baseline_result,
        "strategies": sim.run("strategies", n_scenarios=2000, seed=1, progress=False),
        "sweep": swept_result,
        "decide": sim.decide("baseline", n_scenarios=8192, seed=1),
        "sensitivity": sim.sensitivity("baseline", n_scenarios=64, seed=1, method="both"),
        "calibrate": sim.calibrate("baseline", n_scenarios=300, seed=1),
        "sample": sim.sample("baseline", 300, seed=1),
        "industry": sim.run("industry", n_scenarios=500, seed=1, progress=False),
    }
    return {name: (str(sim.write_netcdf(ds, d / f"{name}.nc")), ds) for name, ds in made.items()}


@pytest.fixture(scope="module")
def pages(results, tmp_path_factory) -> dict:
    """The report of each result, written by the command line."""
    d = tmp_path_factory.mktemp("pages")
    out = {}
    for name, (path, _) in results.items():
        page = d / f"{name}.html"
        r = CliRunner().invoke(cli, ["report", path, "-o", str(page)])
        assert r.exit_code == 0, (name, r.output)
        out[name] = page
    return out


def _text(page) -> str:
    return page.read_text(encoding="utf-8")


def _self_contained(text: str) -> None:
    page = Page(text)
    assert "script" not in page.tags and "link" not in page.tags
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)
    assert all(i["src"].startswith("data:image/png;base64,") for i in page.imgs)


def _headers(page: Page) -> list[list[str]]:
    return [t[0] for t in page.tables]


@pytest.mark.parametrize("name", ["run", "strategies", "sweep", "decide", "sensitivity", "calibrate",
                                  "sample", "industry"])
def test_every_kind_makes_a_self_contained_page(name, pages):
    text = _text(pages[name])
    _self_contained(text)
    assert Page(text).tables
    assert "Traceback" not in text


def test_a_run_shows_net_value_and_the_choice_and_no_one_row_heat_map(pages, results):
    _, ds = results["run"]
    text = _text(pages["run"])
    page = Page(text)
    value = next(t for t in page.tables if t[0][1] == "mean net value ± se")
    for row, j in zip(value[1:], range(ds.sizes["model_size"])):
        assert row[0] == size_label(ds["model_size"].values[j])
        assert row[1] == f"{usd_label(ds['net_value_mean'][j])} ± {usd_label(ds['net_value_mean_se'][j])}"
        assert row[5] == percent(ds["prob_loss"][j])
    assert f"Choice: {ds.attrs['choice']}" in text and "highest mean net value" in text
    alts = [i["alt"] for i in page.imgs]
    assert "decision chart" not in alts and "best chart" in alts
    assert "How often each size has the highest net value of the grid" in text  # the caption
    assert "highest ROI" not in text
    # every table has a legend naming its columns that are not plain
    assert text.count('<dl class="legend">') == len(page.tables)
    assert "<dt>CVaR 5%</dt>" in text and "<dt>P(best)</dt>" in text


def test_a_run_with_strategies_keeps_the_decision_heat_map(pages):
    alts = [i["alt"] for i in Page(_text(pages["strategies"])).imgs]
    assert "decision chart" in alts


def test_the_report_follows_the_roi_objective(tmp_path):
    ds = sim.run("baseline", n_scenarios=2000, seed=1, progress=False,
                 overrides={"decision.objective": "roi"})
    path = sim.write_netcdf(ds, tmp_path / "roi.nc")
    text = report.build_report([(str(path), ds)])
    assert "How often each size has the highest ROI of the grid" in text
    assert "highest net value" not in text
    assert "<h3>Net value</h3>" in text  # shown, but not called the decision objective


def test_a_sweep_shows_one_statistic_per_table_and_chart(pages, results):
    _, ds = results["sweep"]
    text = _text(pages["sweep"])
    page = Page(text)
    mean, loss = page.tables
    assert mean[0][-1] == "best" and loss[0][-1] == "1T"
    for row, k in zip(mean[1:], range(3)):
        values = ds["net_value_mean"].isel({"market.competitors": k}).values
        assert row[1:-1] == [usd_label(v) for v in values]
        assert row[-1] == size_label(ds["model_size"].values[int(np.argmax(values))])
    for row, k in zip(loss[1:], range(3)):
        assert row[1:] == [percent(v) for v in ds["prob_loss"].isel({"market.competitors": k}).values]
    assert [i["alt"] for i in page.imgs] == ["sweep of objective chart", "sweep of prob_loss chart"]
    assert "Mean net value over the swept values" in text


def test_a_decision_shows_choice_regret_evpi_and_evppi(pages, results):
    _, ds = results["decide"]
    text = _text(pages["decide"])
    page = Page(text)
    ranked = next(t for t in page.tables if t[0][0] == "rank")
    assert ranked[0] == ["rank", "model size", "mean net value ± se", "P(best)", "mean regret", "P(loss)"]
    order = np.argsort(-ds["net_value_mean"].values)
    assert [r[1] for r in ranked[1:]] == [size_label(ds["model_size"].values[j]) for j in order]
    assert f"Choice: {ds.attrs['choice']}" in text
    assert "EVPI, the expected value of perfect information" in text
    evppi = next(t for t in page.tables if t[0][0] == "parameter")
    assert evppi[0] == ["parameter", "EVPPI", "± se", "above floor"]
    assert not any(r[0].startswith("dummy") for r in evppi[1:])
    assert "voi chart" in [i["alt"] for i in page.imgs]


def test_a_calibration_shows_coverage_and_observed_against_predicted(pages, results):
    _, ds = results["calibrate"]
    text = _text(pages["calibrate"])
    page = Page(text)
    coverage = page.tables[0]
    assert coverage[0] == ["check", "rows compared", "inside the 90% interval", "coverage", "rows skipped"]
    for row in coverage[1:]:
        check = row[0]
        inside = int(np.sum(ds["inside_90"].values[ds["check"].values == check]))
        assert int(row[2]) == inside == ds.attrs[f"inside_{check}"]
        assert int(row[1]) == int(np.sum(ds["check"].values == check))
    assert [i["alt"] for i in page.imgs] == ["calibration chart"]
    assert "not a sim result" not in text


def test_a_sample_is_summarized_from_its_draws(pages, results):
    _, ds = results["sample"]
    text = _text(pages["sample"])
    table = Page(text).tables[0]
    assert table[0][:2] == ["model size", "mean ROI"]
    for row, j in zip(table[1:], range(ds.sizes["model_size"])):
        roi = ds["roi"].isel(model_size=j).values
        assert row[3] == percent(np.mean(roi < 0))
    assert "a sample of 300 scenarios' draws" in text


def test_the_title_names_each_scenario_once(results):
    run, sweep = results["run"], results["sweep"]
    text = html.unescape(report.build_report([run, sweep, results["decide"]]))
    assert "<title>sim report: 'baseline'</title>" in text
    assert "for scenario 'baseline'," in text


@pytest.mark.integration
def test_every_kind_renders_in_a_headless_browser(pages, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not found: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium); CI installs it")
    profile = tmp_path / "profile"
    profile.mkdir()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]
    for name, page_file in pages.items():
        probe = tmp_path / f"{name}.html"
        probe.write_text(_text(page_file).replace(
            "</body>", "<script>window.addEventListener('load', () => document.body.setAttribute("
                       "'data-widths', [...document.images].map(i => i.naturalWidth).join(',')));"
                       "</script></body>"), encoding="utf-8")
        dom = subprocess.run([browser, *flags, "--dump-dom", probe.as_uri()], capture_output=True,
                             text=True, timeout=120, check=True).stdout
        rendered, source = Page(dom), Page(_text(page_file))
        assert len(rendered.tables) == len(source.tables), name
        assert [len(t) for t in rendered.tables] == [len(t) for t in source.tables], name
        images = len(_png_imgs(source))
        widths = [int(w) for w in rendered.attrs.get("data-widths", "").split(",") if w]
        assert len(widths) == images, name  # every image decoded
        assert all(w >= 600 for w in widths), (name, widths)
        shot = tmp_path / f"{name}.png"
        subprocess.run([browser, *flags, "--hide-scrollbars", "--window-size=1200,1600",
                        f"--screenshot={shot}", page_file.as_uri()], capture_output=True,
                       timeout=120, check=True)
        assert shot.stat().st_size > 10_000, name  # a page was painted
