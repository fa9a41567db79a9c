"""Load Rasa's TensorFlow models (the DIET intent classifier) without a training step.

Rasa 3.6's ``RasaModel.load`` builds the model's variables by *training* it on one example
(``model.fit``), then overwrites them with the saved weights. That step traces Keras' training
function (gradients) and creates the Adam optimizer's slots, none of which prediction ever
uses: ≈ 140 MiB of every Rasa process's memory (measured 26 Nov 2026: 971 → 832 MiB RSS after
``Agent.load`` of the assistant's model, docs/deploy.md).

``lean_load`` builds the variables by predicting instead: the saved weights are read first,
TensorFlow restores each variable as prediction creates it, and then Rasa precomputes what
prediction needs (the label embeddings) from the restored weights, as the stock load does with
its first prediction. Predictions are the same (tests/bot/rasa/test_model_loading.py compares
every held-out question's ranking). Where the saved weights do not cover every variable the
model made, or for fine-tuning (which needs the training state), Rasa's own load runs.

Installed by ``nlu/__init__.py``: the Rasa process imports ``nlu.components`` (config.yml)
while it reads the model's graph, before any component of it is loaded.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

import tensorflow as tf
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

logger = logging.getLogger(__name__)

_rasa_load = RasaModel.load.__func__  # type: ignore[attr-defined]


def lean_load(
    cls: type,
    model_file_name: str,
    model_data_example: RasaModelData,
    predict_data_example: Optional[RasaModelData] = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """``RasaModel.load`` without the one-example training step (see the module docstring)."""
    if finetune_mode or not predict_data_example:
        return _rasa_load(
            cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
            *args, **kwargs,
        )  # fmt: skip
    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(
        optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
        run_eagerly=config.get(RUN_EAGERLY),
    )
    status = model.load_weights(model_file_name)  # restored as prediction creates them
    model.run_inference(predict_data_example)
    try:
        status.assert_existing_objects_matched()
    except AssertionError as missing:
        logger.warning(
            "Saved weights do not cover the model (%s); loading it as Rasa does.", missing
        )
        return _rasa_load(
            cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
            *args, **kwargs,
        )  # fmt: skip
    status.expect_partial()  # the optimizer's saved state: not needed to predict
    return model


def install() -> None:
    """Make ``RasaModel.load`` (DIETClassifier, TEDPolicy, …) the lean one, once."""
    if RasaModel.__dict__["load"].__func__ is not lean_load:
        RasaModel.load = classmethod(lean_load)  # type: ignore[method-assign]
