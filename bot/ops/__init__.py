"""Operator tooling: training, serving, publishing, previews and evaluation."""
