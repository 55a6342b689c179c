"""Data quality for a small model: the tense task, three ways to make training data, a filter, one fine-tune.

Notebook 13 and lab 6. Submodules: :mod:`~helpers.data_quality.tenses` (the task and its word lists),
:mod:`~helpers.data_quality.generators` (web-like, textbook-like, held-out), :mod:`~helpers.data_quality.filters`
(perplexity), :mod:`~helpers.data_quality.training` (the shared LoRA run), :mod:`~helpers.data_quality.experiment`
(the whole comparison, ``python -m helpers.data_quality.experiment`` for the full-size run) and
:mod:`helpers.checks.lab06_textbook_data` (lab 6's checks, with the other labs').
"""
