"""A tiny BERT classifier and dataset built in code (no hub downloads), for the callback tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments


class Pairs(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    def __init__(self, size: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(1, 50, (size, 8), generator=generator)
        self.labels = (self.ids[:, 0] > 25).long()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(8, dtype=torch.long),
                "labels": self.labels[i]}


def trainer(output_dir: Path, callbacks: list[Any], max_steps: int = 12) -> Trainer:
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=16, num_labels=2))
    args = TrainingArguments(
        output_dir=str(output_dir), max_steps=max_steps, per_device_train_batch_size=4,
        per_device_eval_batch_size=8, learning_rate=1e-3, logging_steps=2, eval_strategy="steps",
        eval_steps=4, save_steps=6, report_to=[], use_cpu=True, disable_tqdm=True, seed=0,
    )
    return Trainer(model=model, args=args, train_dataset=Pairs(48, 1), eval_dataset=Pairs(16, 2),
                   callbacks=callbacks)
