"""The HTML report: its table and figures, as a real browser renders them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

import sim
from sim.present import report
from sim.cli.main import cli
from sim.vocab.units import significant



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


@pytest.fixture(scope="module")
def files(tmp_path_factory, baseline_result, swept_result):
    d = tmp_path_factory.mktemp("report")
    return (str(sim.write_netcdf(baseline_result, d / "base.nc")),
            str(sim.write_netcdf(swept_result, d / "sweep.nc")))


@pytest.fixture(scope="module")
def page_file(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "report.html"
    result = CliRunner().invoke(cli, ["report", *files, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    return out


def _png_imgs(page: Page) -> list[dict]:
    return [i for i in page.imgs if i.get("src", "").startswith("data:image/png;base64,")]


def test_report_has_tables_and_embedded_charts(page_file, baseline_result):
    text = page_file.read_text(encoding="utf-8")
    page = Page(text)
    run_table, _value_table, unit_table, sweep_table, _loss_table = page.tables
    ds = baseline_result
    # Model v3's year-1 unit economics, per size, from the result's own numbers.
    assert unit_table[0][:4] == ["model size", "active parameters", "serving cost / M tokens",
                                 "our price / M tokens"]
    one_t = unit_table[5]
    assert one_t[:2] == ["1T", "1T"]
    price = float(ds.price_per_token_y1_quantile.sel(model_size=1e12, quantile=0.5)) * 1e6
    assert float(one_t[3].lstrip("$")) == pytest.approx(price, rel=1e-2)
    assert one_t[4] == f"{100 * float(ds.served_y1_share.sel(model_size=1e12)):.1f}%"
    assert "price at fixed capability falls" in text
    assert run_table[0][:3] == ["model size", "median ROI", "5% ROI"]
    assert [r[0] for r in run_table[1:]] == ["100M", "1B", "10B", "100B", "1T"]
    ten_b = run_table[3]
    assert float(ten_b[1]) == pytest.approx(float(ds.roi_quantile.sel(model_size=1e10, quantile=0.5)), rel=1e-2)
    assert ten_b[5] == f"{100 * float(ds.prob_loss.sel(model_size=1e10)):.1f}%"
    assert sweep_table[0][:2] == ["market.competitors", "100M"]
    assert [r[0] for r in sweep_table[1:]] == ["2.0", "6.0", "18.0"]
    # five charts of the run, two of the sweep, all inline
    imgs = _png_imgs(page)
    # Every chart but the value of information, which needs a decision run (sim decide), and
    # the decision heat map, which a run without strategies does not draw (one row).
    assert len(imgs) == len(page.imgs) == len(report.RUN_CHARTS) - 2 + len(report.SWEEP_CHARTS)
    assert all(len(i["src"]) > 10_000 and i.get("alt") for i in imgs)
    # nothing is fetched from elsewhere
    assert "script" not in page.tags and "link" not in page.tags
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)
    assert "Scenario 'baseline'" in text and "gpu_hour_price" in text  # scenario file shown


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@pytest.mark.integration
def test_report_renders_in_a_headless_browser(page_file, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium not found: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium); CI installs it")
    # a copy of the page that records, once loaded, how wide each image decoded
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
    # run: ROI, net value, unit economics; sweep: mean objective, P(loss)
    assert len(page.tables) == 5 and len(page.tables[0]) == len(page.tables[2]) == 6
    assert len(_png_imgs(page)) == len(report.RUN_CHARTS) - 2 + len(report.SWEEP_CHARTS)
    widths = [int(w) for w in page.attrs["data-widths"].split(",")]
    assert len(widths) == len(report.RUN_CHARTS) - 2 + len(report.SWEEP_CHARTS)  # every image decoded
    assert all(w >= 800 for w in widths)


def test_report_skips_charts_a_result_cannot_fill(tmp_path, baseline_result):
    thin = sim.write_netcdf(baseline_result.drop_vars("serving_cost_npv_mean"), tmp_path / "t.nc")
    out = tmp_path / "t.html"
    result = CliRunner().invoke(cli, ["report", str(thin), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert len(_png_imgs(Page(text))) == len(report.RUN_CHARTS) - 3  # no costs, no voi, no one-row decision
    assert "Charts not drawn: costs: the costs chart needs serving_cost_npv_mean" in text


def _report_of(ds, tmp_path) -> str:
    src = sim.write_netcdf(ds, tmp_path / "r.nc")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["report", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_a_run_report_lists_no_chart_that_only_another_command_draws(tmp_path, baseline_result):
    """The value of information is drawn for a decision (sim decide), not
    noted as 'not drawn' under every run."""
    text = _report_of(baseline_result, tmp_path)
    assert "Charts not drawn" not in text and "voi chart" not in text
    # fan, hist, exceedance, best, costs, cooling, cashflow: all but voi and the one-row decision
    assert len(_png_imgs(Page(text))) == len(report.RUN_CHARTS) - 2


def test_a_report_of_a_run_without_the_path_says_so_once(tmp_path):
    ds = sim.run("baseline", n_scenarios=2000, seed=1, path=False, progress=False)
    text = _report_of(ds, tmp_path)
    assert ("Charts not drawn: cooling and cashflow: this result was run without the valuation "
            "path</p>") in text
    assert len(_png_imgs(Page(text))) == len(report.RUN_CHARTS) - 4


@pytest.mark.parametrize("args, needle", [
    (["{tmp}/none.nc"], "none.nc: no such result file"),
    (["{base}", "-o", "{tmp}/r.txt"], "expected an .html file name"),
    (["{base}", "-o", "{tmp}/no/r.html"], "does not exist"),
    ([], "Missing argument 'RESULTS...'"),
])
def test_report_bad_input(files, tmp_path, args, needle):
    args = [a.replace("{tmp}", str(tmp_path)).replace("{base}", files[0]) for a in args]
    result = CliRunner().invoke(cli, ["report", *args])
    assert result.exit_code == 2, result.output
    assert needle in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_report_names_what_its_table_lacks(tmp_path, baseline_result):
    thin = sim.write_netcdf(baseline_result.drop_vars("prob_best"), tmp_path / "t.nc")
    result = CliRunner().invoke(cli, ["report", str(thin), "-o", str(tmp_path / "t.html")])
    assert result.exit_code == 2
    assert "the summary table needs prob_best, which this result lacks" in result.output
    assert not (tmp_path / "t.html").exists()


#: Two strategies that differ in the token price's own yearly fall (delta).
TWO_DECLINES = '''extends = "baseline.toml"
name = "two_declines"
[strategies.market]
description = "the baseline"
[strategies.steep]
description = "the token price falls 90% a year"
market = { token_price_decline = 0.9 }
'''


def _decline_sentence(page: str) -> str:
    found = re.findall(r"The price at fixed capability falls [^<]*", page)
    assert len(found) == 1, found
    return found[0]


def test_report_of_strategies_states_the_price_decline(baseline_result, monkeypatch):
    """A result with strategies states the fixed-capability decline too (it
    was left out): once when every strategy gives the same figures, as the
    bundled strategies do (none changes delta, phi or theta). The charts are
    not drawn (the sections' text is what is checked)."""
    monkeypatch.setattr(report, "_figures", lambda ds: ([], []))
    ds = sim.run("strategies", n_scenarios=4096, seed=0, progress=False)
    sentence = _decline_sentence(report.section(ds, "s.nc", "r1"))
    d = ds["fixed_capability_decline_quantile"].isel(strategy=0)
    assert sentence.endswith(" under every strategy.")
    assert f"falls {significant(d.sel(quantile=0.5))}× a year" in sentence
    assert _decline_sentence(report.section(baseline_result, "b.nc", "r1")).endswith(")."), \
        "a run without strategies keeps its sentence"


def test_decline_note_names_each_strategy_when_they_differ():
    """With delta = 0.9 the price falls at least 1/(1 - 0.9) = 10x a year in
    every scenario ((1 - phi)^theta <= 1); the other strategy's figures are
    those of the same scenario without strategies."""
    from sim.scenario.load import scenario_from_toml_text

    ds = sim.run(scenario_from_toml_text(TWO_DECLINES), n_scenarios=4096, seed=0, progress=False)
    d = ds["fixed_capability_decline_quantile"]
    assert float(d.sel(strategy="steep").min()) >= 10
    note = report.decline_note(d)
    plain = sim.run("baseline", n_scenarios=4096, seed=0, progress=False)
    alone = report.decline_note(plain["fixed_capability_decline_quantile"])
    found = re.fullmatch(r"The price at fixed capability falls (.*) for market; (.*) for steep\.", note)
    assert found, note
    market, steep = found.groups()
    assert market == alone.removeprefix("The price at fixed capability falls ").removesuffix(".")
    assert steep.startswith(f"{significant(d.sel(strategy='steep', quantile=0.5))}× a year (median; 5–95%: ")
