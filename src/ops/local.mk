# src/ops: health, metrics, API docs (files listed by their owner)
