"""What the group-commit writer did, read from its own histogram (no timing, just counts)."""

from __future__ import annotations

from typing import Any


def batch_counts(app: Any) -> tuple[float, float]:
    """(statements the writer ran, messages in them) so far."""
    from livechat.metrics import metrics

    samples = {
        s.name: s.value
        for family in metrics(app).batch_size.collect()
        for s in family.samples
        if not s.labels.get("le")
    }
    return samples["livechat_db_batch_messages_count"], samples["livechat_db_batch_messages_sum"]
