"""Importers: other tools' run history into runwatch (`runwatch import ...`).

One reader per source (tensorboard_reader.py, mlflow_reader.py, wandb_reader.py) turns its
files into `SourceRun`s (source.py); one store (store.py) writes them through the agent's
encoder and transport.
"""
