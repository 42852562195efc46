"""The answer reader (rag/models/cross_encoder.py) with its shipped weights: exported to ONNX
once, it must score like the PyTorch model it was fitted as, and prefer the sentence that answers."""

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reader(models_dir):
    from rag.models.cross_encoder import CrossEncoder

    return CrossEncoder(models_dir)


def _torch_scores(model, question: str, texts: list[str]) -> list[float]:
    import torch

    from rag.models import cross_encoder as ce

    with torch.no_grad():
        return model(*ce.torch_batch(ce.tokenizer(), question, texts)).numpy().tolist()


QUESTION = "How many jobs will the plant cut?"
TEXTS = ["The factory will shed 600 jobs by March.", "Shares rose 3% in early trading."]


def test_the_exported_reader_scores_as_the_fitted_model(reader):
    from rag.models import cross_encoder as ce

    expected = _torch_scores(ce.fitted_model(reader.weights), QUESTION, TEXTS)
    assert reader.score(QUESTION, TEXTS) == pytest.approx(expected, abs=1e-3)


def test_the_reading_is_the_fitted_models_pooled_hidden_states(reader):
    """The answer model weighs the best sentence's reading: the export must hand over what the
    fitted reader pools, the same pair for pair."""
    import torch

    from rag.models import cross_encoder as ce
    from rag.models.embeddings import mean_pool

    model = ce.fitted_model(reader.weights)
    ids, mask, types = ce.torch_batch(ce.tokenizer(), QUESTION, TEXTS)
    with torch.no_grad():
        pooled = mean_pool(model.enc(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state, mask)
    readings = reader.readings(QUESTION, TEXTS)
    assert [len(r) for r in readings] == [384, 384]
    assert readings[0] == pytest.approx(pooled[0].tolist(), abs=1e-3)
    assert readings[1] == pytest.approx(pooled[1].tolist(), abs=1e-3)
    assert readings[0] != pytest.approx(readings[1], abs=1e-3)


def test_a_graph_of_the_older_layout_is_neither_reused_nor_misread(reader, tmp_path):
    """Before the reading was exported the graph gave the score alone, under a name made of the
    weights' hash only: that file is not taken for the new graph, and a score-only graph found
    under the new name is a clear error, not an index error mid-answer."""
    import hashlib

    from rag.errors import LocalModelError
    from rag.models import cross_encoder as ce
    from rag.models.embeddings import export_graph

    old = reader.cache_dir / f"minilm-reader-{hashlib.sha256(reader.weights.read_bytes()).hexdigest()[:12]}.onnx"
    assert reader.onnx_path != old
    stale = ce.CrossEncoder(tmp_path / "models")
    export_graph(ce.fitted_model(stale.weights), stale.onnx_path, "score")
    with pytest.raises(LocalModelError, match="delete it"):
        stale.score(QUESTION, TEXTS)


def test_a_reader_on_fewer_layers_exports_and_scores_as_fitted(tmp_path):
    """Weights fitted on MiniLM's first layers only (fit_cross_encoder.py --layers) say so in the
    file; the export must cut the same layers, or the scores would be another model's."""
    import numpy as np
    import torch

    from rag.models import cross_encoder as ce

    torch.manual_seed(0)
    model = ce.torch_model(4, 4.0, layers=2)
    for name, p in model.named_parameters():
        if p.requires_grad and name.endswith(".B"):
            torch.nn.init.normal_(p, std=0.05)  # adapters that change the scores
    state = ce.trainable_state(model)
    assert not any(".layer.2." in k for k in state)
    weights = tmp_path / "two-layers.npz"
    np.savez(weights, **state, **{"meta.rank": np.array(4), "meta.alpha": np.array(4.0), "meta.layers": np.array(2)})
    scores = ce.CrossEncoder(tmp_path / "models", weights).score(QUESTION, TEXTS)
    assert scores == pytest.approx(_torch_scores(model.eval(), QUESTION, TEXTS), abs=1e-3)
    assert len(ce.fitted_model(weights).enc.encoder.layer) == 2


@pytest.mark.parametrize(
    "question, answer, distractor",
    [
        (
            "How big a stake does the largest outside investor hold?",
            "Pecan Street, the largest outside investor, holds about a quarter of the company.",
            "The acquisition is the largest since the company was founded.",
        ),
        (
            "Who did the minister meet in Paris?",
            "In Paris the minister met Claire Dubois, the head of the regulator.",
            "The minister flew to Paris on Monday for a two-day visit.",
        ),
    ],
)
def test_the_reader_prefers_the_sentence_that_answers(reader, question, answer, distractor):
    right, wrong = reader.score(question, [answer, distractor])
    assert right > wrong


def test_new_weights_get_their_own_export(reader, tmp_path):
    from rag.models.cross_encoder import CrossEncoder

    other = tmp_path / "other.npz"
    other.write_bytes(reader.weights.read_bytes() + b"\0")
    assert CrossEncoder(reader.cache_dir, other).onnx_path != reader.onnx_path


def test_the_first_use_exports_once_says_so_and_clears_older_graphs(tmp_path, reader):
    from rag.models.cross_encoder import CrossEncoder

    told = []
    first = CrossEncoder(tmp_path / "models")
    (tmp_path / "models").mkdir()
    stale = [
        tmp_path / "models" / n for n in ("minilm-reader-0123456789ab.onnx", "minilm-reader-0123456789ab.ort-1.onnx")
    ]
    for p in stale:
        p.write_bytes(b"an older graph")
    (tmp_path / "models" / "other.onnx").write_bytes(b"not the reader's")
    first.on_export = lambda: told.append("export")
    scores = first.score("Who won?", ["Anna Berg won the vote."])
    assert told == ["export"] and first.ready
    assert not any(p.exists() for p in stale) and (tmp_path / "models" / "other.onnx").exists()
    assert scores == pytest.approx(reader.score("Who won?", ["Anna Berg won the vote."]), abs=1e-4)
    again = CrossEncoder(tmp_path / "models")
    again.on_export = lambda: told.append("again")
    again.score("Who won?", ["Anna Berg won the vote."])
    assert told == ["export"]


def test_a_question_longer_than_the_reader_reads_is_cut_not_an_error(reader):
    question = "What did the company say about " + "the plans for the new plant and its workers " * 30 + "?"
    (score,) = reader.score(question, ["The company said the plant would open in May."])
    assert score == score  # a number, not NaN
