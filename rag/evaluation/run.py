"""`rag eval`: run the cases against the pipeline and score them deterministically.

Each case file's corpus is ingested into its own store under RAG_HOME/evals, so an eval never
touches the user's store. Metrics per case: fact found, cited article correct, quotes verbatim,
the right article's quotes state the fact, refusal correct, retrieval rank of the first right
passage (hit@k), latency. A case passes when every metric that applies to it holds."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import UsageError
from rag.evaluation.cases import Case, contains, facts_found, load

if TYPE_CHECKING:
    from rag.digest.model import Digest

METRICS = [
    "fact_found",
    "cited_article",
    "quote_verbatim",
    "quote_has_fact",
    "refusal_correct",
    "retrieval_hit",
    "stories_formed",
]


@dataclass
class CaseResult:
    case: Case
    metrics: dict[str, bool | None]
    rank: int | None
    latency: float
    answer: str
    citations: list[dict]
    why: list[str] = field(default_factory=list)
    fallback_reason: str | None = None  # the engine's own answer failed verification
    refused: bool = False
    pairs: dict[str, int] | None = None  # digest cases: article pairs grouped right/wrong (tp, fp, fn)

    @property
    def passed(self) -> bool:
        return all(v for v in self.metrics.values() if v is not None)

    def to_dict(self, with_latency: bool = True) -> dict:
        d = {
            "id": self.case.id,
            "type": self.case.type,
            "file": self.case.file,
            "question": self.case.question,
            "passed": self.passed,
            "metrics": self.metrics,
            "retrieval_rank": self.rank,
            "why": self.why,
            "answer": self.answer,
            "citations": self.citations,
            "fallback_reason": self.fallback_reason,
        }
        if with_latency:
            d["latency_s"] = round(self.latency, 4)
        return d


@dataclass
class Report:
    engine: str
    model: str
    results: list[CaseResult]
    seconds: float

    @property
    def pass_rate(self) -> float:
        return sum(r.passed for r in self.results) / len(self.results)

    def totals(self) -> dict[str, dict[str, int]]:
        out = {}
        for m in METRICS:
            applicable = [v for v in (r.metrics[m] for r in self.results) if v is not None]
            out[m] = {"passed": sum(applicable), "applicable": len(applicable)}
        return out

    def figures(self) -> dict[str, float | None]:
        """The question-answering figures the project reports (BENCHMARKS.md): answerable recall,
        wrong answers (answered, expected fact absent; share of all questions), unanswerable
        refused, German-only facts answered, quotes verbatim."""
        qa = [r for r in self.results if r.case.type not in ("summary", "digest")]
        answerable = [r for r in qa if not r.case.refuse]
        unanswerable = [r for r in qa if r.case.refuse]
        german = [r for r in answerable if r.case.type == "german_only"]
        wrong = [r for r in qa if not r.refused and not (r.metrics["fact_found"] and not r.case.refuse)]

        def share(part, whole):
            return round(len(part) / len(whole), 4) if whole else None

        return {
            "questions": len(qa),
            "answerable_recall": share([r for r in answerable if r.metrics["fact_found"]], answerable),
            "wrong_answers": share(wrong, qa),
            "unanswerable_refused": share([r for r in unanswerable if r.metrics["refusal_correct"]], unanswerable),
            "german_only_recall": share([r for r in german if r.metrics["fact_found"]], german),
            "quotes_verbatim": share([r for r in qa if r.metrics["quote_verbatim"]], qa),
            **self.story_pairs(),
        }

    def story_pairs(self) -> dict[str, float | None]:
        """Pair precision and recall of the story grouping over the digest cases' labelled
        articles: of the pairs put in one story, how many belong together, and the converse."""
        counted = [r.pairs for r in self.results if r.pairs]
        if not counted:
            return {}
        tp, fp, fn = (sum(p[k] for p in counted) for k in ("tp", "fp", "fn"))
        return {
            "story_pair_precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "story_pair_recall": round(tp / (tp + fn), 4) if tp + fn else None,
        }

    def by_type(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            t = out.setdefault(r.case.type, {"passed": 0, "total": 0})
            t["total"] += 1
            t["passed"] += r.passed
        return dict(sorted(out.items()))

    def to_dict(self, min_pass: float) -> dict:
        lat = sorted(r.latency for r in self.results)
        return {
            "engine": self.engine,
            "model": self.model,
            "cases": [r.to_dict() for r in self.results],
            "totals": self.totals(),
            "by_type": self.by_type(),
            "figures": self.figures(),
            "pass_rate": round(self.pass_rate, 4),
            "min_pass": min_pass,
            "passed": self.pass_rate >= min_pass,
            "latency_s": {"p50": round(lat[len(lat) // 2], 4), "max": round(lat[-1], 4)},
            "engine_answers_kept": sum(r.fallback_reason is None for r in self.results),
            "seconds": round(self.seconds, 2),
        }


def eval_workspace(settings, corpus: Path, embedder=None):
    from rag.workspace import Workspace

    key = hashlib.sha256(f"{corpus}|{settings.embedding.model}".encode()).hexdigest()[:12]
    s = settings.model_copy(update={"home": settings.home / "evals" / key, "models_dir": settings.model_cache})
    return Workspace(s, embedder=embedder)


def score_case(case: Case, answer, passages, texts: dict[str, str], latency: float) -> CaseResult:
    why: list[str] = []
    m: dict[str, bool | None] = {k: None for k in METRICS}
    m["refusal_correct"] = answer.refused == case.refuse
    if not m["refusal_correct"]:
        why.append("answered a question the articles do not answer" if case.refuse else "refused")
    m["quote_verbatim"] = all(texts.get(c.article_id, "")[c.start : c.end] == c.quote for c in answer.citations)
    if not m["quote_verbatim"]:
        why.append("a quote is not verbatim")
    rank = None
    if not case.refuse:
        m["fact_found"] = facts_found(case, answer.answer)
        if not m["fact_found"]:
            why.append("expected fact not in the answer")
        m["cited_article"] = any(c.source in case.sources for c in answer.citations)
        if not m["cited_article"]:
            why.append(f"cites none of {', '.join(case.sources)}")
        right_quotes = " ".join(c.quote for c in answer.citations if c.source in case.sources)
        m["quote_has_fact"] = facts_found(case, right_quotes)
        if not m["quote_has_fact"]:
            why.append("no quote from the right article states the fact")
        for i, p in enumerate(passages, 1):
            if p.source in case.sources and any(contains(p.text, f) for f in case.facts):
                rank = i
                break
        m["retrieval_hit"] = rank is not None
        if rank is None:
            why.append(f"no retrieved passage (top {len(passages)}) states the fact")
    return CaseResult(
        case,
        m,
        rank,
        latency,
        answer.answer,
        [c.to_dict() for c in answer.citations],
        why,
        answer.fallback_reason,
        refused=answer.refused,
    )


def _citation_metrics(ws, case: Case, text: str, citations, m: dict, why: list[str]) -> None:
    m["fact_found"] = facts_found(case, text)
    if not m["fact_found"]:
        why.append("expected fact not in the points")
    m["cited_article"] = any(c.source in case.sources for c in citations)
    if not m["cited_article"]:
        why.append(f"cites none of {', '.join(case.sources)}")
    m["quote_verbatim"] = all(ws.catalog.article(c.article_id).text[c.start : c.end] == c.quote for c in citations)
    if not m["quote_verbatim"]:
        why.append("a quote is not verbatim")
    m["quote_has_fact"] = facts_found(case, " ".join(c.quote for c in citations if c.source in case.sources))
    if not m["quote_has_fact"]:
        why.append("no quote from the right article states the fact")


def score_summary(ws, case: Case, engine, started: float) -> CaseResult:
    from rag.digest.summarize import summarize_article, summarize_topic

    if case.article:
        s = summarize_article(ws, case.article, engine)
    else:
        assert case.topic is not None  # evalcases: a summary case has exactly one of article and topic
        s = summarize_topic(ws, case.topic, engine)
    m: dict[str, bool | None] = {k: None for k in METRICS}
    why: list[str] = []
    citations = [c for p in s.points for c in p.citations]
    text = " ".join(p.text for p in s.points)
    _citation_metrics(ws, case, text, citations, m, why)
    return CaseResult(
        case, m, None, time.perf_counter() - started, text, [c.to_dict() for c in citations], why, s.fallback_reason
    )


def score_digest(ws, case: Case, digest: Digest, started: float) -> CaseResult:
    m: dict[str, bool | None] = {k: None for k in METRICS}
    why: list[str] = []
    formed = [sorted(a.source for a in s.articles) for s in digest.stories]
    pairs = None
    if case.stories:
        m["stories_formed"] = all(sorted(g) in formed for g in case.stories)
        if not m["stories_formed"]:
            labelled = {x for g in case.stories for x in g}
            why.append(f"stories formed: {[g for g in ([x for x in f if x in labelled] for f in formed) if g]}")
        pairs = pair_counts(case.stories, formed)
    text, citations = "", []
    if case.story_of:
        story = next(s for s in digest.stories if case.story_of in {a.source for a in s.articles})
        citations = [c for p in story.points for c in p.citations]
        text = " ".join(p.text for p in story.points)
        _citation_metrics(ws, case, text, citations, m, why)
    else:
        citations = [c for s in digest.stories for p in s.points for c in p.citations]
        m["quote_verbatim"] = all(ws.catalog.article(c.article_id).text[c.start : c.end] == c.quote for c in citations)
        if not m["quote_verbatim"]:
            why.append("a quote is not verbatim")
        text = "; ".join(" + ".join(g) for g in formed)
    return CaseResult(
        case, m, None, time.perf_counter() - started, text, [c.to_dict() for c in citations], why, pairs=pairs
    )


def pair_counts(gold: list[list[str]], formed: list[list[str]]) -> dict[str, int]:
    """Over the articles of the gold stories: pairs together in both (tp), together only in the
    digest (fp), together only in the labels (fn)."""
    from itertools import combinations

    gold_of = {x: k for k, g in enumerate(gold) for x in g}
    formed_of = {x: k for k, f in enumerate(formed) for x in f if x in gold_of}
    counts = {"tp": 0, "fp": 0, "fn": 0}
    for a, b in combinations(sorted(gold_of), 2):
        same = gold_of[a] == gold_of[b]
        together = a in formed_of and formed_of.get(a) == formed_of.get(b)
        if same and together:
            counts["tp"] += 1
        elif together:
            counts["fp"] += 1
        elif same:
            counts["fn"] += 1
    return counts


def run(settings, case_paths: list[Path], engine_name, use_cache: bool = True, embedder=None, progress=None) -> Report:
    from rag.answer.engines import make_engine
    from rag.ingest.pipeline import ingest
    from rag.models.cache import LLMCache
    from rag.retrieval.search import retrieve

    files = load(case_paths)
    started = time.perf_counter()
    results: list[CaseResult] = []
    total = sum(len(f.cases) for f in files)
    engine = None
    for cf in files:
        ws = eval_workspace(settings, cf.corpus, embedder)
        ingest(ws, [cf.corpus], prune=True)
        stored = {a.source for a in ws.catalog.articles()}
        for case in cf.cases:
            missing = [s for s in case.sources if s not in stored]
            if missing:
                raise UsageError(
                    f"{cf.path}: case {case.id!r}: source {missing[0]!r} was not ingested, "
                    "so its metrics cannot be computed"
                )
        cache = LLMCache(settings.home / "cache" / "llm") if use_cache else None
        engine = make_engine(ws, engine_name, cache)
        digest = None
        for case in cf.cases:
            if progress:
                progress(len(results), total, case.id)
            t = time.perf_counter()
            if case.type == "summary":
                results.append(score_summary(ws, case, engine, t))
                continue
            if case.type == "digest":
                if digest is None:
                    from rag.digest.build import make_digest

                    digest = make_digest(ws, None, None, True, engine, regroup=True)  # no memory of earlier runs
                results.append(score_digest(ws, case, digest, t))
                continue
            passages = retrieve(ws, case.question)
            answer = engine.answer(case.question, passages)
            latency = time.perf_counter() - t
            texts = {a: ws.catalog.article(a).text for a in {c.article_id for c in answer.citations}}
            results.append(score_case(case, answer, passages, texts, latency))
    return Report(engine_name.value, engine.model if engine else "", results, time.perf_counter() - started)


def table(report: Report, min_pass: float) -> str:
    lines = []
    for r in report.results:
        status = "PASS" if r.passed else "FAIL"
        rank = f"rank {r.rank}" if r.rank else ("miss" if r.metrics["retrieval_hit"] is False else "-")
        why = "" if r.passed else "  " + "; ".join(r.why)
        lines.append(f"{status}  {r.case.id:22.22} {r.case.type:15} {rank:7} {r.latency:5.2f}s{why}")
    lines.append("")
    lines.append("metric            passed / applicable")
    for m, t in report.totals().items():
        lines.append(f"{m:17} {t['passed']:3} / {t['applicable']}")
    lines.append("")
    lines.append("case type         passed / total")
    for typ, t in report.by_type().items():
        lines.append(f"{typ:17} {t['passed']:3} / {t['total']}")
    n = len(report.results)
    passed = sum(r.passed for r in report.results)
    figures = report.figures()
    if figures["questions"]:
        lines.append("")
        lines.append("figure                 value")
        for k, v in figures.items():
            lines.append(f"{k:22} {v if v is None or k == 'questions' else f'{v:.1%}'}")
    lines.append("")
    kept = sum(r.fallback_reason is None for r in report.results)
    if kept < n:
        lines.append(
            f"the engine's own answer failed verification in {n - kept} of {n} cases "
            "(verified evidence was used instead)"
        )
    lines.append(
        f"{passed}/{n} cases passed ({report.pass_rate:.1%}; required {min_pass:.0%}) with "
        f"{report.engine} ({report.model}) in {report.seconds:.1f}s"
    )
    return "\n".join(lines)


def junit_xml(report: Report) -> str:
    from xml.sax.saxutils import escape, quoteattr

    failures = sum(not r.passed for r in report.results)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites tests="{len(report.results)}" failures="{failures}" time="{report.seconds:.3f}">',
        f'  <testsuite name="rag-eval" tests="{len(report.results)}" failures="{failures}" '
        f'time="{report.seconds:.3f}">',
    ]
    for r in report.results:
        name = quoteattr(r.case.id)
        cls = quoteattr(f"evals.{Path(r.case.file).stem}.{r.case.type}")
        out.append(f'    <testcase classname={cls} name={name} time="{r.latency:.3f}">')
        if not r.passed:
            detail = f"question: {r.case.question}\nanswer: {r.answer}\n" + "\n".join(r.why)
            out.append(f"      <failure message={quoteattr('; '.join(r.why))}>{escape(detail)}</failure>")
        out.append("    </testcase>")
    out += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(out)
