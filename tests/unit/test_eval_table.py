"""`vidscope eval`'s plain table (evals/evaluate.metrics_table): every figure the run measured,
diarization's ``diarization_*`` too, which the table once left out (only --json showed them)."""

from __future__ import annotations

from evals.evaluate import metrics_table


def test_the_eval_table_shows_diarization_after_the_rest() -> None:
    metrics = {
        "diarization_threads": 2.0,
        "diarization_der_pooled": 0.00812,
        "wer": 0.0412345,
        "diarization_real_der": 0.113,
        "queries": 40.0,
        "wer_en-gb": 0.05,
        "diarization_count_right": 0.9583,
        "recall_at_1": 0.9,
    }
    assert metrics_table(metrics) == [
        ("wer", "0.04123"),
        ("recall_at_1", "0.9"),
        ("wer_en-gb", "0.05"),
        ("queries", "40"),
        ("diarization_der_pooled", "0.00812"),
        ("diarization_count_right", "0.9583"),
        ("diarization_real_der", "0.113"),
        ("diarization_threads", "2"),
    ]
    # --quick measures no diarization: no row for it.
    assert [n for n, _ in metrics_table({"wer": 0.1})] == ["wer"]
