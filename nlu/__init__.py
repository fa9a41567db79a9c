"""The assistant's Rasa components (components.py, named in config.yml).

Importing the package makes Rasa load its TensorFlow models without a training step
(bot/rasa/model_loading.py: ≈ 140 MiB less per Rasa process). It is here, not in components.py,
because it changes how a trained model is loaded, not what is trained: components.py is part of the
training fingerprint (bot/ops/generate.py), this package's other files are not.
"""

from bot.rasa import model_loading

model_loading.install()
