import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rag.errors import UsageError
from rag.evaluation.cases import contains, load
from rag.evaluation.run import junit_xml, run
from rag.settings import EngineName, load_settings

from conftest import ROOT, FakeEmbedder
from test_cli import rag

# eval plumbing, not answer quality: questions worded close to their articles, so the shipped
# selector answers them at its (strict) threshold even with the fake embedder
GOOD = """corpus: corpus
cases:
  - {id: portal, type: german_only,
     question: "Which Chinese news portal reported that Tesla trains AI models in China?",
     all_of: [Cailianshe], sources: [002_cf314d619be69ddf.txt]}
  - {id: skynet, type: single, question: "Which satellite-based internet service did CASC launch?",
     all_of: [Smart SkyNet-1 01], sources: [001_ae76c90e14592450.txt]}
  - {id: none, type: unanswerable, question: "What was Tesla's revenue in 2023?", refuse: true}
"""


def write_cases(tmp_path: Path, seeds_copy: Path, text: str) -> Path:
    f = seeds_copy.parent / "cases.yaml"
    f.write_text(text.replace("corpus: corpus", f"corpus: {seeds_copy.name}"), encoding="utf-8")
    return f


def test_facts_match_case_and_punctuation_insensitively():
    assert contains("It reached OVER 24 % efficiency!", "24 %")
    assert contains("Smart SkyNet-1 01 launched", "smart skynet 1 01")
    assert not contains("The 124 units", "24")


@pytest.mark.parametrize(
    "case,problem",
    [
        ('{id: a, type: bogus, question: "Q?", all_of: [x], sources: [001_ae76c90e14592450.txt]}', "type 'bogus'"),
        ('{id: a, type: single, question: "Q?", all_of: [x]}', "'sources'"),
        ('{id: a, type: single, question: "Q?", sources: [001_ae76c90e14592450.txt]}', "expects no fact"),
        ('{id: a, type: single, question: "Q?", all_of: [x], sources: [nope.txt]}', "'nope.txt' is not a file"),
        ('{id: a, type: unanswerable, question: "Q?", all_of: [x], refuse: true}', "cannot expect facts"),
        ('{id: a, type: single, question: "", all_of: [x], sources: [001_ae76c90e14592450.txt]}', "'question'"),
        (
            '{id: a, type: single, question: "Q?", all_of: [x], sources: [001_ae76c90e14592450.txt], colour: red}',
            "unknown keys",
        ),
    ],
)
def test_malformed_cases_name_the_file_and_the_case(tmp_path, seeds_copy, case, problem):
    f = write_cases(tmp_path, seeds_copy, f"corpus: corpus\ncases:\n  - {case}\n")
    with pytest.raises(UsageError) as err:
        load([f])
    assert str(f) in str(err.value) and "case 'a'" in str(err.value) and problem in str(err.value)


def test_invalid_yaml_and_duplicate_ids(tmp_path, seeds_copy):
    f = write_cases(tmp_path, seeds_copy, "corpus: corpus\ncases: [\n")
    with pytest.raises(UsageError, match=r"cases.yaml: line \d+: not valid YAML"):
        load([f])
    dup = '  - {id: a, type: unanswerable, question: "Q?"}\n'
    f = write_cases(tmp_path, seeds_copy, "corpus: corpus\ncases:\n" + dup + dup)
    with pytest.raises(UsageError, match="case 'a': duplicate id"):
        load([f])


def _run(cases_file, **kw):
    return run(load_settings(), [cases_file], EngineName.extractive, embedder=FakeEmbedder(), **kw)


def test_right_facts_pass_and_a_wrong_expected_fact_fails(tmp_path, seeds_copy, monkeypatch):
    import dataclasses

    from rag.answer import selector

    # scoring plumbing with fake models: an answer threshold that lets their best sentence through
    model = dataclasses.replace(selector.shipped(), answer_threshold=0.5)
    monkeypatch.setattr(selector, "shipped", lambda: model)
    f = write_cases(tmp_path, seeds_copy, GOOD)
    report = _run(f)
    by_id = {r.case.id: r for r in report.results}
    assert by_id["portal"].passed and by_id["skynet"].passed and by_id["none"].passed
    assert by_id["portal"].rank is not None
    wrong = GOOD.replace("all_of: [Cailianshe]", "all_of: [Xinhua]")
    report = _run(write_cases(tmp_path, seeds_copy, wrong))
    portal = next(r for r in report.results if r.case.id == "portal")
    assert not portal.passed and portal.metrics["fact_found"] is False
    assert "expected fact not in the answer" in portal.why


def test_two_runs_give_identical_results(tmp_path, seeds_copy):
    f = write_cases(tmp_path, seeds_copy, GOOD)
    first = [r.to_dict(with_latency=False) for r in _run(f).results]
    second = [r.to_dict(with_latency=False) for r in _run(f).results]
    assert first == second


def test_eval_store_is_separate_from_the_users_store(tmp_path, seeds_copy):
    from conftest import make_ws

    _run(write_cases(tmp_path, seeds_copy, GOOD))
    assert make_ws(FakeEmbedder()).catalog.counts() == (0, 0)


def test_junit_report_is_valid_xml_with_failures(tmp_path, seeds_copy):
    wrong = GOOD.replace("all_of: [Cailianshe]", "all_of: [Xinhua]")
    report = _run(write_cases(tmp_path, seeds_copy, wrong))
    root = ET.fromstring(junit_xml(report))
    suite = root.find("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    failed = [tc for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert [tc.get("name") for tc in failed] == ["portal"]


@pytest.mark.slow
def test_cli_exit_codes_and_report_files(tmp_path, seeds_copy, monkeypatch):
    # as the full install runs: German read in Gemma's translation, what the shipped selector was
    # fitted on (the German-only case needs it); the session's model cache keeps the translations
    monkeypatch.setenv("RAG_TRANSLATE", "true")
    f = write_cases(tmp_path, seeds_copy, GOOD)
    out_json, out_xml = tmp_path / "r" / "eval.json", tmp_path / "r" / "junit.xml"
    r = rag("eval", "--cases", str(f), "--json", str(out_json), "--junit", str(out_xml))
    assert r.returncode == 0, r.stderr
    assert "3/3 cases passed" in r.stdout
    assert json.loads(out_json.read_text())["passed"] is True
    ET.parse(out_xml)
    wrong = write_cases(tmp_path, seeds_copy, GOOD.replace("all_of: [Cailianshe]", "all_of: [Xinhua]"))
    r = rag("eval", "--cases", str(wrong))
    assert r.returncode == 1 and "FAIL  portal" in r.stdout and "under --min-pass" in r.stderr
    assert rag("eval", "--cases", str(wrong), "--min-pass", "0.6").returncode == 0
    bad = write_cases(tmp_path, seeds_copy, "corpus: corpus\ncases:\n  - {id: zz, type: single, question: Q}\n")
    r = rag("eval", "--cases", str(bad))
    assert r.returncode == 2 and "case 'zz'" in r.stderr and "Traceback" not in r.stderr
    r = rag("eval", "--split", "tset4")  # the splits are the folders under evals/splits/
    assert r.returncode == 2 and "unknown split 'tset4'" in r.stderr and "test4" in r.stderr


def test_shipped_cases_are_well_formed_and_cover_every_type():
    files = load([ROOT / "evals"])
    cases = [c for f in files for c in f.cases]
    assert len(cases) >= 40
    kinds = {c.type for c in cases}
    assert {
        "single",
        "multi_source",
        "german_only",
        "german_question",
        "multi_fact",
        "number",
        "date",
        "unanswerable",
        "summary",
        "digest",
    } <= kinds
    assert sum(c.refuse for c in cases) >= 5
    assert sum(c.type in ("summary", "digest") for c in cases) >= 5


@pytest.mark.parametrize(
    "case,problem",
    [
        (
            "{id: s, type: summary, all_of: [x], sources: [001_ae76c90e14592450.txt]}",
            "exactly one of 'article' or 'topic'",
        ),
        (
            "{id: s, type: summary, article: a, topic: b, all_of: [x], sources: [001_ae76c90e14592450.txt]}",
            "exactly one",
        ),
        ("{id: s, type: digest, stories: [[nope.txt]]}", "'nope.txt' is not a file"),
        ("{id: s, type: digest}", "needs 'stories'"),
        ("{id: s, type: digest, stories: [[]]}", "'stories' must be a list of lists of file names"),
        ('{id: 7, type: unanswerable, question: "Q?"}', "'id' must be a non-empty string"),
        ('{id: s, type: unanswerable, question: "Q?", refuse: null}', "'refuse' must be true or false"),
        ('{id: s, type: unanswerable, question: "Q?", file: x.yaml}', r"unknown keys \['file'\]"),
    ],
)
def test_malformed_summary_and_digest_cases(tmp_path, seeds_copy, case, problem):
    f = write_cases(tmp_path, seeds_copy, f"corpus: corpus\ncases:\n  - {case}\n")
    with pytest.raises(UsageError, match=problem):
        load([f])


def test_a_wrong_story_expectation_fails(tmp_path, seeds_copy):
    wrong = """corpus: corpus
cases:
  - {id: stories, type: digest, stories: [[000_ab6a3cf24c55f0d7.txt, 001_ae76c90e14592450.txt]]}
  - {id: sum, type: summary, article: 003_52f8bed2d65e222f.txt, all_of: [Xi Jinping],
     sources: [003_52f8bed2d65e222f.txt]}
"""
    report = _run(write_cases(tmp_path, seeds_copy, wrong))
    assert [r.passed for r in report.results] == [False, False]
    assert report.results[0].metrics["stories_formed"] is False
    assert report.results[1].metrics["fact_found"] is False
    # 000 and 001 report different events: the labelled pair is missed, nothing wrongly joined
    assert report.results[0].pairs == {"tp": 0, "fp": 0, "fn": 1}
    assert report.figures()["story_pair_recall"] == 0.0 and report.figures()["story_pair_precision"] is None


def test_story_pair_counts():
    from rag.evaluation.run import pair_counts

    gold = [["a", "b", "c"], ["d", "e"], ["f"]]
    # a+b right, c alone (2 pairs missed), d+e right, f wrongly with d and e (2 false pairs);
    # x is not labelled and does not count
    formed = [["a", "b", "x"], ["c"], ["d", "e", "f"]]
    assert pair_counts(gold, formed) == {"tp": 2, "fp": 2, "fn": 2}
    assert pair_counts(gold, gold) == {"tp": 4, "fp": 0, "fn": 0}
    assert pair_counts(gold, [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]) == {"tp": 0, "fp": 0, "fn": 4}


def test_a_metric_that_cannot_be_computed_stops_the_run(tmp_path, seeds_copy):
    (seeds_copy / "unreadable.txt").write_bytes(b"\x00\x01binary, skipped at ingest")
    text = GOOD.replace("sources: [001_ae76c90e14592450.txt]", "sources: [unreadable.txt]")
    f = write_cases(tmp_path, seeds_copy, text)
    with pytest.raises(UsageError, match="case 'skynet': source 'unreadable.txt' was not ingested"):
        _run(f)


def test_blind_bank_splits_are_fixed_disjoint_and_reproducible(tmp_path):
    """evals/splits/ is what evals/make_splits.py writes from evals/bank/: re-running it changes
    nothing, no question is in two splits, and corpus questions follow their story's split."""
    import shutil
    import subprocess
    import sys

    import yaml

    copy = tmp_path / "evals"
    shutil.copytree(ROOT / "evals", copy)
    subprocess.run([sys.executable, str(copy / "make_splits.py")], check=True, capture_output=True)
    for split in ("train", "dev", "test", "test2", "test3", "test4", "test5"):
        for f in (ROOT / "evals" / "splits" / split).glob("*.yaml"):
            assert (copy / "splits" / split / f.name).read_text() == f.read_text()
    ids = {}
    for split in ("train", "dev", "test", "test2", "test3", "test4", "test5"):
        for cf in load([ROOT / "evals" / "splits" / split]):
            for c in cf.cases:
                assert c.id not in ids, f"{c.id} in {ids.get(c.id)} and {split}"
                ids[c.id] = split
    assert len(ids) >= 300
    story_split = {
        a["file"]: a["split"]
        for a in yaml.safe_load((ROOT / "evals" / "labels" / "corpus.yaml").read_text())["articles"]
    }
    for split in ("train", "dev", "test"):
        for cf in load([ROOT / "evals" / "splits" / split]):
            for c in cf.cases:
                assert all(story_split.get(s, split) == split for s in c.sources)
                assert all(story_split[x] == split for g in c.stories for x in g)
    digests = [c for cf in load([ROOT / "evals" / "splits" / "dev"]) for c in cf.cases if c.type == "digest"]
    assert len(digests) == 1 and sum(map(len, digests[0].stories)) == sum(v == "dev" for v in story_split.values())


def test_eval_reports_the_question_figures(tmp_path, seeds_copy):
    f = write_cases(
        tmp_path,
        seeds_copy,
        """corpus: corpus
cases:
  - {id: a, type: german_only, question: "Who interviewed Trump on CBS?", all_of: [Dokoupil],
     sources: [002_cf314d619be69ddf.txt]}
  - {id: u, type: unanswerable, question: "What did the Mars colony mayor say about tariffs?"}
""",
    )
    out = tmp_path / "r.json"
    r = rag("eval", "--cases", str(f), "--min-pass", "0", "--json", str(out))
    assert r.returncode == 0, r.stderr
    import json

    figures = json.loads(out.read_text())["figures"]
    assert figures["questions"] == 2 and figures["quotes_verbatim"] == 1.0
    assert set(figures) >= {"answerable_recall", "wrong_answers", "unanswerable_refused", "german_only_recall"}
    assert "answerable_recall" in r.stdout
    assert rag("eval", "--split", "nope").returncode == 2


def test_numbers_in_facts_are_read_as_written(tmp_path, seeds_copy):
    f = write_cases(
        tmp_path,
        seeds_copy,
        "corpus: corpus\ncases:\n  - {id: n, type: number, question: 'Q?', all_of: [2026, 24.5], "
        "sources: [001_ae76c90e14592450.txt]}\n",
    )
    (case,) = load([f])[0].cases
    assert case.all_of == ["2026", "24.5"] and case.refuse is False
